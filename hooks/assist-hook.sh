#!/bin/sh
# The body of the block `assist hooks install` puts at the top of post-commit, post-checkout,
# post-merge and post-rewrite (and of <git-common-dir>/assist/hook.sh, which a hook managed by
# core.hooksPath can call). Placeholders @...@ are filled in at install time.
#
# It must cost nothing and change nothing in the hook around it, so it:
# - calls no git command and forks once (the background refresher) and only when none is running:
#   while one runs (a commit storm) it only touches the dirty mark, and that refresher loops again;
# - prints nothing, reads no stdin (post-rewrite's list is for the hook's own lines), never exits,
#   and keeps working under `set -eu` (every command that may fail is in a condition or `||`);
# - leaves no variable behind (all are __assist_* and unset at the end) and restores `set -C`.
__assist_node=@ASSIST_NODE@
__assist_entry=@ASSIST_ENTRY@
__assist_hook=@ASSIST_HOOK@
# Installed assist gone (package removed, node upgraded): do nothing, silently.
if [ -x "$__assist_node" ] && [ -f "$__assist_entry" ]; then
  # In a hook the cwd is the work tree root; GIT_DIR is set in linked worktrees only, and a
  # worktree whose .git is a file ("gitdir: <path>") can run post-checkout without it.
  __assist_dir=${GIT_DIR:-.git}
  if [ -f "$__assist_dir" ]; then
    __assist_line=
    if IFS= read -r __assist_line <"$__assist_dir" || [ -n "$__assist_line" ]; then :; fi
    __assist_dir=${__assist_line#gitdir: }
    unset __assist_line
  fi
  __assist_a=$__assist_dir/assist
  if [ -d "$__assist_a" ] || mkdir "$__assist_a" 2>/dev/null; then
    # The dirty mark: the refresher clears it before it reads the index and looks again at the end,
    # so a refresher already running picks this change up. First `ran.<name>`, whose mtime tells
    # the refresher which hook came last. Both stay empty: truncating a file that holds data makes
    # ext4 flush it on close (auto_da_alloc), a millisecond on every commit.
    case $__assist_hook in *[!a-z-]* | '') ;; *) { :; } 2>/dev/null >|"$__assist_a/ran.$__assist_hook" || : ;; esac
    { :; } 2>/dev/null >|"$__assist_a/dirty" || :
    __assist_lock=$__assist_a/refresh.lock
    __assist_go=
    case $- in *C*) __assist_c=1 ;; *) __assist_c= ; set -C ;; esac
    # noclobber makes `>` an O_EXCL create: a non-blocking lock without a fork.
    if { echo "$$"; } 2>/dev/null >"$__assist_lock"; then
      __assist_go=1
    else
      __assist_pid=
      if IFS= read -r __assist_pid <"$__assist_lock" 2>/dev/null || [ -n "$__assist_pid" ]; then :; fi
      # A refresher runs (the usual case in a commit storm): the mark above is all it needs.
      # Its holder gone (killed, reboot) or the lock unreadable: start one without the lock, and
      # let it take the lock over safely (the refresher's lock checks the holder and its start time).
      if [ -z "$__assist_pid" ] || ! kill -0 "$__assist_pid" 2>/dev/null; then __assist_go=2; fi
      unset __assist_pid
    fi
    [ -n "$__assist_c" ] || set +C
    if [ -n "$__assist_go" ]; then
      # Detached, low priority, every stream on /dev/null: a child holding git's stderr open
      # makes whoever reads git's output wait for the refresher.
      {
        exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
        unset GIT_INDEX_FILE GIT_PREFIX
        if [ "$__assist_go" = 1 ]; then
          ASSIST_HOOK_LOCK=$__assist_lock
          ASSIST_HOOK_PID=$$
          export ASSIST_HOOK_LOCK ASSIST_HOOK_PID
        fi
        # In this background subshell, `set --` touches none of the hook's own arguments.
        # nice 19 also lowers its disk priority: Linux derives the best-effort IO level from it.
        set -- "$__assist_node" "$__assist_entry" hook "$__assist_hook"
        if command -v nice >/dev/null 2>&1; then set -- nice -n 19 "$@"; fi
        if command -v setsid >/dev/null 2>&1; then exec setsid "$@"; fi
        exec nohup "$@"
      } </dev/null >/dev/null 2>&1 &
      if [ "$__assist_go" = 1 ]; then { echo "$!"; } 2>/dev/null >|"$__assist_lock" || :; fi
    fi
    unset __assist_lock __assist_go __assist_c
  fi
  unset __assist_dir __assist_a
fi
unset __assist_node __assist_entry __assist_hook
