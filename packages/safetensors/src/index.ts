export * from './float16.ts';
export * from './latents.ts';
export * from './safetensors.ts';
