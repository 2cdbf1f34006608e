export { canMutate, mutantsFor, parsesCleanly, type Mutant, type MutantKind, type MutantOptions, type MutantSet, type MutatedDefinition } from './mutants.js';
export { mutationCheck, summarise, type MutantResult, type MutationCheckOptions, type MutationReport, type TestRun, type TestRunner } from './mutation-check.js';
export { withScratchWorktree, type ScratchOptions, type ScratchWorktree } from './scratch.js';
export { sandboxRunner, type SandboxRunnerOptions } from './run.js';
export { detectWorkspace, expandMembers, focusedCommand, isWorkspace, packageOf, packagesTouched, selectionCommand, selectTests, type FrameworkId, type PackageTestRun, type TestPackage, type TestScope, type TestSelection, type Workspace, type WorkspaceKind } from './workspaces.js';
export { isTestFile, nearestTests, suggestTestPath } from './test-files.js';
