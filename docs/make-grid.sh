#!/usr/bin/env bash
# Remakes docs/grid.png: each prompt of docs/grid-prompts.txt through `npx baton generate`
# at 128 px and at 256 px (same seeds), labelled with the caption the model saw.
# Needs ImageMagick (apt-get install imagemagick) for the montage.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
npx baton generate --prompt-file docs/grid-prompts.txt --out-dir "$out/128" --seed 1 --size 128 --json > "$out/128.jsonl"
npx baton generate --prompt-file docs/grid-prompts.txt --out-dir "$out/256" --seed 1 --size 256 --json > "$out/256.jsonl"
args=()
i=0
while IFS= read -r line; do
  caption=$(node -e 'const l = JSON.parse(process.argv[1]); console.log(l.caption.replace(/ and /, "\nand ").replace(/, on /, "\non "))' "$line")
  n=$(printf '%04d' "$i")
  args+=(-label "128 px · seed $((1 + i))\n(256 px on the right)" "$out/128/$n.png" -label "$caption" "$out/256/$n.png")
  i=$((i + 1))
done < "$out/128.jsonl"
montage -font DejaVu-Sans -pointsize 11 "${args[@]}" -tile 4x -geometry '256x256+6+6' -background '#f6f6f4' docs/grid.png
echo "wrote docs/grid.png"
