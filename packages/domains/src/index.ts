/**
 * The domain registry. A model family's manifest names its domain (`prompt_expander`); the
 * domain plug-in (how prompts become captions, the image codec, the vocabulary) is looked up
 * here, the one place that knows them all. A family whose manifest names no known domain gets
 * the plain one: prompts verbatim, PNG images. Light on purpose (no model runtime): the API's
 * functions import it; the cascade is opened through `@baton/domains/cascade`.
 */
import { type Domain, plainDomain } from '@baton/pipeline/domain';
import { shapesDomain } from '@baton/shapes';

const DOMAINS: ReadonlyMap<string, Domain> = new Map([shapesDomain].map((d) => [d.name, d]));

/** The domain a manifest's `prompt_expander` names; the plain domain for any other. */
export function domainFor(promptExpander: string | undefined): Domain {
  return (promptExpander && DOMAINS.get(promptExpander)) || plainDomain;
}

/** The names a manifest may give to get a domain of its own. */
export const domainNames = (): string[] => [...DOMAINS.keys()];
