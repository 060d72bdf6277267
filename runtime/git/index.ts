/** Thin, retry-safe operations over the real `git` CLI: what VIBN does to a project's repository. */
export { changedFiles } from './changed-files.js';
export { CredentialsWithheldError, withGitAuth, type GitAuth, type GitCredentials } from './credentials.js';
export { insideAddress, insideHost, remoteLocation, type HostVerdict, type RemoteLocation } from './remote-host.js';
export { commitAll, REQUEST_TRAILER, type CommitAllInput, type CommitAllResult } from './commit-all.js';
export { prepareWorkingCopy, type PrepareWorkingCopyInput } from './prepare-working-copy.js';
export { pushBranch, type PushBranchInput, type PushBranchResult } from './push-branch.js';
export { PushRejectedError, type PushRejectionReason } from './push-rejected-error.js';
export { listBlobsAtRef, listFilesAtRef, readFileAtHead, readFileAtRef } from './read-tree.js';
export { headCommit, resolveCommit } from './refs.js';
export { GitAuthenticationError, GitCommandError, redact, redactUrls, VIBN_IDENTITY, type GitIdentity } from './run-git.js';
