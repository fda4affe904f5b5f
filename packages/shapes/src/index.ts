export { decodePng, encodePng, fromPixels, type RgbImage, toPixels } from '@baton/pipeline/image';
export * from './domain.ts';
export * from './expand.ts';
export * from './judge.ts';
export * from './render.ts';
export * from './scene.ts';
export * from './vocabulary.ts';
