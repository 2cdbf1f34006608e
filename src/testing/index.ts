export { canMutate, mutantsFor, parsesCleanly, type Mutant, type MutantKind, type MutantOptions, type MutantSet, type MutatedDefinition } from './mutants.js';
export { mutationCheck, summarise, type MutantResult, type MutationCheckOptions, type MutationReport, type TestRun, type TestRunner } from './mutation-check.js';
export { withScratchWorktree, type ScratchOptions, type ScratchWorktree } from './scratch.js';
export { sandboxRunner, type SandboxRunnerOptions } from './run.js';
export { detectWorkspace, expandMembers, focusedCommand, packageOf, packagesTouched, type FrameworkId, type TestPackage, type Workspace, type WorkspaceKind } from './workspaces.js';
export { isTestFile, nearestTests, suggestTestPath } from './test-files.js';
