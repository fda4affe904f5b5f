/**
 * Prompt expansion before enqueueing: (1) the shapes-domain expander; (2) for real
 * models, an LLM behind any OpenAI-compatible chat-completions endpoint, with a time
 * budget and a fallback.
 */
import type { Config } from '@baton/config';
import { domainFor } from '@baton/domains';
import { type Domain, type PromptExpansion, plainDomain } from '@baton/pipeline/domain';

export interface Expansion extends PromptExpansion {
  expander: string;
  fallback?: string;
}

export interface PromptExpander {
  expand(prompt: string, seed: number): Promise<Expansion>;
}

export const verbatim: PromptExpander = {
  expand: async (prompt) => ({ caption: prompt.trim(), warnings: [], words: [], expander: 'none' }),
};

/** A domain's own expansion, as an expander. */
export const domainExpander = (domain: Domain): PromptExpander => ({
  expand: async (prompt, seed) => ({ ...domain.expand(prompt, seed), expander: domain.name }),
});

/** The shapes models' expander: the shapes parser. */
export const shapesExpander = domainExpander(domainFor('shapes'));

/** CogView3's prompt_optimize.py rules, condensed. */
export const COGVIEW3_SYSTEM_PROMPT = `You are part of a team of bots that creates images. You work with an assistant bot that will draw anything you say.
For example, outputting "a beautiful morning in the woods with the sun peaking through the trees" will trigger your partner bot to output an image of a forest morning, as described.
You will be prompted by people looking to create detailed, amazing images. The way to accomplish this is to take their short prompts and make them extremely detailed and descriptive.
There are a few rules to follow:
- Prompt should always be written in English, regardless of the input language. Please provide the prompts in English.
- You will only ever output a single image description per user request.
- Image descriptions must be detailed and specific, including keyword categories such as subject, medium, composition, lighting, colours and setting.
- When the user asks for modifications to a previous description, keep what they did not ask to change.
- Keep everything the user stated; invent only what they left open.
- Image descriptions must be between 100-200 words. Extra words will be ignored.
Reply with the description only.`;

export interface LlmExpanderOptions {
  /** Base URL of an OpenAI-compatible API, e.g. https://api.example.com/v1 */
  url: string;
  model: string;
  apiKey?: string;
  /** Time budget for the whole call (ms). */
  timeoutMs?: number;
  fallback?: PromptExpander;
  /** Reads the LLM's caption back in the model's caption grammar (warnings for what it cannot say). */
  domain?: Domain;
  fetch?: typeof fetch;
}

export class LlmExpander implements PromptExpander {
  constructor(private readonly o: LlmExpanderOptions) {}

  async expand(prompt: string, seed: number): Promise<Expansion> {
    const fallback = this.o.fallback ?? verbatim;
    try {
      const caption = await this.call(prompt, seed);
      if (this.o.domain) return { ...this.o.domain.expand(prompt, seed, caption), expander: 'llm' };
      return { caption, warnings: [], words: [], expander: 'llm' };
    } catch (e) {
      const f = await fallback.expand(prompt, seed);
      return { ...f, fallback: e instanceof Error ? e.message : String(e) };
    }
  }

  private async call(prompt: string, seed: number): Promise<string> {
    const res = await (this.o.fetch ?? fetch)(`${this.o.url.replace(/\/$/, '')}/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.o.apiKey && { authorization: `Bearer ${this.o.apiKey}` }),
      },
      body: JSON.stringify({
        model: this.o.model,
        messages: [
          { role: 'system', content: COGVIEW3_SYSTEM_PROMPT },
          {
            role: 'user',
            content: `Create an imaginative image descriptive caption for the user input : "${prompt}"`,
          },
        ],
        temperature: 0.01,
        top_p: 0.7,
        max_tokens: 300,
        seed,
        stream: false,
      }),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 3000),
    });
    if (!res.ok) throw new Error(`LLM expander: HTTP ${res.status}`);
    const body = (await res.json()) as { choices?: { message?: { content?: unknown } }[] };
    const content = body.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || !content.trim())
      throw new Error('LLM expander: empty or malformed reply');
    return content.trim().replace(/^"|"$/g, '');
  }
}

type LlmSettings = Pick<
  Config,
  'BATON_LLM_URL' | 'BATON_LLM_MODEL' | 'BATON_LLM_API_KEY' | 'BATON_LLM_TIMEOUT_MS'
>;

/**
 * The manifest's expander (its domain's, from the registry), or an LLM when BATON_LLM_URL is set
 * (for a model with a domain, the LLM's caption is read back by the domain's parser, which keeps
 * what the prompt stated).
 */
export function expanderFor(kind: string | undefined, c: LlmSettings): PromptExpander {
  const domain = domainFor(kind);
  const own = domain !== plainDomain;
  const base = own ? domainExpander(domain) : verbatim;
  if (c.BATON_LLM_URL) {
    return new LlmExpander({
      url: c.BATON_LLM_URL,
      model: c.BATON_LLM_MODEL,
      ...(c.BATON_LLM_API_KEY && { apiKey: c.BATON_LLM_API_KEY }),
      timeoutMs: c.BATON_LLM_TIMEOUT_MS,
      fallback: base,
      ...(own && { domain }),
    });
  }
  return base;
}
