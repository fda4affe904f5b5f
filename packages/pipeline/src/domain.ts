/**
 * What a model's domain brings to the pipeline: how a user's prompt becomes the caption the
 * model was trained on, and how finished images are encoded. The pipeline knows only this
 * interface; a domain (the shapes package) plugs in. Slower expanders (an LLM) sit in the
 * API, in front of the pipeline.
 */
import { type ImageCodec, pngCodec, type RgbImage } from './image.ts';

/** A prompt made into a caption, and what of the prompt the caption could not say. */
export interface PromptExpansion {
  caption: string;
  /** One line per part ignored or not honoured; empty when the caption says all the prompt did. */
  warnings: string[];
  /** The prompt's words behind the warnings (what a strict request names). */
  words: string[];
}

export interface Domain {
  /** Matches a manifest's `prompt_expander`: the domain's expansion is used only for its own models. */
  name: string;
  /**
   * The caption for a prompt; what the prompt leaves open comes from the seed (deterministic).
   * `draft` is another expander's caption (an LLM's), read back in the domain's grammar.
   */
  expand(prompt: string, seed: number, draft?: string): PromptExpansion;
  codec: ImageCodec;
  /**
   * The label a caption asks of each head of the manifest's scorer model (scorer.ts), by head
   * name; null for a caption the domain cannot read. This is how a family's scorer plugs in.
   */
  labels?(caption: string): Record<string, string> | null;
  /**
   * How well an image shows its caption, 0…1, measured by the domain itself: best_of's scorer
   * when present (shapes: its judge's measurements, read softly), before any scorer model.
   */
  score?(image: RgbImage, caption: string): number;
  /** What prompts may say, for people: as data (GET /v1/models) and as text (the playground, `baton vocab`). */
  vocabulary?: {
    data(): unknown;
    text(sizesPx?: number[]): string;
  };
}

/** No expansion, PNG images: what a model without a domain of its own gets. */
export const plainDomain: Domain = {
  name: 'none',
  expand: (prompt, _seed, draft) => ({ caption: (draft ?? prompt).trim(), warnings: [], words: [] }),
  codec: pngCodec,
};
