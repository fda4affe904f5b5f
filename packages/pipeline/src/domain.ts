/**
 * What a model's domain brings to the pipeline: how a user's prompt becomes the caption the
 * model was trained on, and how finished images are encoded. The pipeline knows only this
 * interface; a domain (the shapes package) plugs in. Slower expanders (an LLM) sit in the
 * API, in front of the pipeline.
 */
import { type ImageCodec, pngCodec } from './image.ts';

export interface Domain {
  /** Matches a manifest's `prompt_expander`: the domain's expansion is used only for its own models. */
  name: string;
  /** The caption for a prompt; what the prompt leaves open comes from the seed (deterministic). */
  caption(prompt: string, seed: number): string;
  codec: ImageCodec;
}

/** No expansion, PNG images: what a model without a domain of its own gets. */
export const plainDomain: Domain = { name: 'none', caption: (prompt) => prompt.trim(), codec: pngCodec };
