/** Seeded random numbers: the engine uses the shared generator (src/shared/rng.ts). */
export { Rng } from '../shared/rng';
