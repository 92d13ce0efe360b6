#!/usr/bin/env bash
# no-output.sh: run a validator and fail if it prints anything. desktop-file-validate exits 0
# on warnings and even on "error: (will be fatal in the future)" (see PITFALLS.md).
# SPDX-License-Identifier: GPL-3.0-or-later
out=$("$@" 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$out" ]; then
  printf '%s\n' "$out"
  echo "FAILED (exit $rc): $*"
  exit 1
fi
