/** A one-line progress bar on a terminal's stderr; silent elsewhere. */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = '';

  update(label: string, done: number, total: number): void {
    if (!this.tty) return;
    const width = 24;
    const filled = Math.round((width * done) / Math.max(total, 1));
    const line = `${label.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
    if (line === this.last) return;
    this.last = line;
    process.stderr.write(`\r${line}\x1b[K`);
  }

  done(): void {
    if (this.tty && this.last) process.stderr.write('\r\x1b[K');
    this.last = '';
  }
}
