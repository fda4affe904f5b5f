/** Writing an image in the format its file name says. */
import { convertPng, formatOfName } from '@baton/pipeline/formats';

/** The image in the format its file name says (.jpg/.jpeg and .webp at compression 90; PNG as stored). */
export async function asFileFormat(file: string, png: Uint8Array): Promise<Uint8Array> {
  const format = formatOfName(file) ?? 'png';
  return convertPng(png, format, format === 'png' ? undefined : 90);
}
