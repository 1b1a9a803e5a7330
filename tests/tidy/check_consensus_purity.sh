#!/usr/bin/env bash
# Purity check for consensus/ (TigerBeetle's src/tidy.zig ban list, as a ctest): the protocol core
# must stay a deterministic state machine that links only the C++ standard library, so no file in
# it may include or call anything that brings threads, clocks, randomness, the environment, files
# or third-party I/O libraries. Also checks that every header opens with a `//` comment and has
# `#pragma once`. Usage: check_consensus_purity.sh <path/to/consensus>. Exit 0 clean, 1 on any
# hit, 2 on a usage error. Comments and string literals are blanked before matching, so prose
# that names a banned thing does not trip it.
set -euo pipefail

if [[ $# -ne 1 || ! -d "$1" ]]; then
  echo "usage: $0 <path/to/consensus>" >&2
  exit 2
fi
dir="${1%/}"

# --- The ban list -----------------------------------------------------------------------------
# Each rule: an extended regex (GNU grep -E), what it is, why it is banned, and the files
# (relative to the consensus directory) where it is allowed anyway.
rule_regex=()
rule_what=()
rule_why=()
rule_allowed=()
ban() {
  rule_regex+=("$1")
  rule_what+=("$2")
  rule_why+=("$3")
  rule_allowed+=("${4:-}")
}

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*'
why_lib='consensus/ links only the C++ standard library; adapters own third-party I/O'
why_thread='threads and locks make interleavings nondeterministic; the driver serialises calls'
why_clock='clocks make runs unrepeatable; time enters only as tick() calls from the driver'
why_rand='randomness must come from the seeded Prng passed in, so a seed replays a run'
why_io='I/O is an effect: the state machine returns it in a Ready and the driver performs it'
why_env='configuration is passed in explicitly by the composition root, never read from globals'
why_exit='consensus/ never ends the process: bugs fail an SK_CHECK, bad input returns an Error'
why_stdio='stdio is allowed only where SK_CHECK and Lsn formatting need snprintf/fprintf(stderr)'

ban "${inc}[<\"]boost/" 'include of Boost' "$why_lib"
ban "${inc}[<\"][^>\"]*(asio|beast)" 'include of Asio/Beast' "$why_lib"
ban "${inc}[<\"]google/protobuf" 'include of Protobuf' "$why_lib"
ban "${inc}\"[^\"]*\\.pb\\.h\"" 'include of a generated .pb.h' "$why_lib (proto/codec converts)"
ban "${inc}[<\"]lmdb\\.h[>\"]" 'include of lmdb.h' "$why_lib"
ban "${inc}<(thread|mutex|shared_mutex|condition_variable|future|atomic|semaphore|latch|barrier|stop_token|pthread\\.h)>" \
  'include of a threading header' "$why_thread"
ban "${inc}<(chrono|ctime|time\\.h)>" 'include of a clock header' "$why_clock"
ban "${inc}<random>" 'include of <random>' "$why_rand"
ban "${inc}<(fstream|filesystem|iostream)>" 'include of a stream/filesystem header' "$why_io"
ban "${inc}<(cstdio|stdio\\.h)>" 'include of <cstdio>' "$why_stdio" 'check.cc types.cc'
ban "${inc}<(unistd\\.h|fcntl\\.h|sys/)" 'include of a POSIX system header' "$why_io"

ban '\b(boost|asio|beast)::' 'Boost/Asio/Beast' "$why_lib"
ban '\bgoogle::protobuf\b' 'Protobuf' "$why_lib"
ban '\bmdb_[a-z_]+[[:space:]]*\(' 'LMDB call' "$why_io"
ban '\bstd::(j?thread|this_thread|async|future|promise|atomic|condition_variable)\b' \
  'concurrency primitive' "$why_thread"
ban '\bstd::(recursive_|timed_|recursive_timed_|shared_|shared_timed_)?mutex\b' 'mutex' \
  "$why_thread"
ban '\brandom_device\b' 'entropy source' "$why_rand"
ban '\b(system_clock|steady_clock|high_resolution_clock)\b' 'clock' "$why_clock"
ban '::now[[:space:]]*\(' 'clock read' "$why_clock"
ban '(^|[^[:alnum:]_.>])(std::)?time[[:space:]]*\([[:space:]]*(nullptr|NULL|0)[[:space:]]*\)|\b(clock_gettime|gettimeofday)\b' \
  'wall-clock read' "$why_clock"
ban '\b(sleep_(for|until)|usleep|nanosleep)\b|(^|[^[:alnum:]_.>:])sleep[[:space:]]*\(' \
  'sleep' "$why_clock"
ban '\b(secure_)?getenv\b' 'environment read' "$why_env"
ban '\bfopen\b' 'file open' "$why_io"
ban '\b[io]?fstream\b' 'file stream' "$why_io"
ban '\bstd::rand\b|(^|[^[:alnum:]_.>:])rand[[:space:]]*\(|\bsrand\b' 'global RNG' "$why_rand"
ban '\bf(data)?sync\b' 'fsync' "$why_io"
ban '(^|[^[:alnum:]_.>])(std::)?(_?exit|_Exit|quick_exit)[[:space:]]*\(' 'process exit' \
  "$why_exit"

# --- Source cleaning ------------------------------------------------------------------------
# Prints the file with comments removed and string/char literal contents blanked (kept on
# #include lines, whose path is what we match), one output line per input line so that line
# numbers survive. Digit separators (1'000) are not taken for character literals. Raw string
# literals are not understood; consensus/ has no reason to use them.
clean_source() {
  awk '
    {
      line = $0; out = ""; n = length(line); i = 1
      is_include = (line ~ /^[ \t]*#[ \t]*include/)
      while (i <= n) {
        c = substr(line, i, 1); c2 = substr(line, i, 2)
        if (in_block) {
          if (c2 == "*/") { in_block = 0; out = out " "; i += 2 } else { i++ }
          continue
        }
        if (c2 == "//") { break }
        if (c2 == "/*") { in_block = 1; i += 2; continue }
        prev = (i > 1) ? substr(line, i - 1, 1) : ""
        if (c == "\"" || (c == "'\''" && prev !~ /[0-9A-Fa-f]/)) {
          j = i + 1
          while (j <= n && substr(line, j, 1) != c) {
            if (substr(line, j, 1) == "\\") { j++ }
            j++
          }
          out = out (is_include ? substr(line, i, j - i + 1) : c c)
          i = j + 1
          continue
        }
        out = out c; i++
      }
      print out
    }
  ' "$1"
}

# --- The checks ------------------------------------------------------------------------------
mapfile -t files < <(find "$dir" -type f \( -name '*.h' -o -name '*.cc' \) | LC_ALL=C sort)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "$0: no *.h or *.cc files under $dir" >&2
  exit 2
fi

cleaned="$(mktemp)"
trap 'rm -f "$cleaned"' EXIT

hits=0
headers=0
for file in "${files[@]}"; do
  rel="${file#"$dir"/}"
  clean_source "$file" >"$cleaned"

  # Hits are collected as "line<TAB>message" and printed in line order. An include hit quotes
  # the directive; a call hit quotes the banned text itself.
  file_hits=()
  for i in "${!rule_regex[@]}"; do
    if [[ " ${rule_allowed[i]} " == *" $rel "* ]]; then
      continue
    fi
    if [[ "${rule_regex[i]}" == "$inc"* ]]; then
      matches="$(grep -nE -- "${rule_regex[i]}" "$cleaned" || true)"
    else
      matches="$(grep -noE -- "${rule_regex[i]}" "$cleaned" || true)"
    fi
    while IFS=: read -r line_no text; do
      [[ -n "$line_no" ]] || continue
      text="$(sed -E 's/^[^#A-Za-z_:]+//; s/[[:space:]]+$//' <<<"$text")"
      file_hits+=("$line_no"$'\t'"${rule_what[i]} '$text': ${rule_why[i]}")
    done <<<"$matches"
  done
  if [[ ${#file_hits[@]} -ne 0 ]]; then
    hits=$((hits + ${#file_hits[@]}))
    printf '%s\n' "${file_hits[@]}" | sort -t$'\t' -k1,1n -s | while IFS=$'\t' read -r line_no msg; do
      echo "$file:$line_no: $msg"
    done
  fi

  if [[ "$file" == *.h ]]; then
    headers=$((headers + 1))
    if ! head -n 1 "$file" | grep -q '^//'; then
      echo "$file:1: header does not open with a // comment: say what the file is for (STYLE 5)"
      hits=$((hits + 1))
    fi
    if ! grep -qE '^[[:space:]]*#[[:space:]]*pragma[[:space:]]+once\b' "$file"; then
      echo "$file:1: header has no #pragma once (STYLE 5)"
      hits=$((hits + 1))
    fi
  fi
done

if [[ $hits -ne 0 ]]; then
  echo "consensus purity: $hits problem(s) in ${#files[@]} files checked ($headers headers) under $dir"
  exit 1
fi
echo "consensus purity: ${#files[@]} files checked ($headers headers) under $dir, no problems"
