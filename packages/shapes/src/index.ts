export * from './expand.ts';
export * from './judge.ts';
export * from './png.ts';
export * from './render.ts';
export * from './scene.ts';
export * from './vocabulary.ts';
