export { runPr, type PrOptions, type PrReport, type PrOutcome } from './run-pr.js';
export { resolveBase, slugify, type PrBase, type ResolveBaseOptions } from './base.js';
export { renderBody, replyProse, squashBody, fenceFor, outputTail, type BodyInput } from './body.js';
export { loadPrConfig, isCi, projectFileAt, type PrConfig } from './config.js';
export { pushBranch, parsePorcelain, type PushOptions, type PushOutcome } from './push.js';
export { gitRunner, withoutRepoHooks, withoutPushCredentials, pushCredentialArgs, PUSH_ENV, type GitRunner } from './git.js';
