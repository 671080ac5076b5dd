# shellcheck shell=bash
# ./pulse submit|jobs|stop|resume|upgrade: the jobs on the stack's Flink cluster, through Flink's CLI
# (submit) and REST API (io.pulse.tools.FlinkJobs). Sourced by ./pulse after infra/stack/stack.sh.
# Per job under $PULSE_HOME/jobs/<job>/: args (the settings it was submitted with, one per line),
# latest-savepoint (the path of its newest savepoint) and resume-on-up (set by down, cleared by up).

JOB_MODULES="ingest-job process-job"

job_name() { # the Flink job name of a module
  case $1 in
    ingest-job) echo pulse-ingest ;;
    process-job) echo pulse-process ;;
    *) return 1 ;;
  esac
}

job_dir() { echo "$PULSE_HOME/jobs/$1"; }

# Settings flags as a line to print, the value after a secret key (password, secret, token, JAAS,
# credential, user info, private or .key) masked, and any user:password@ in a URL.
masked_args() {
  local out=() mask=0 a
  for a in "$@"; do
    if [ $mask -eq 1 ]; then out+=("******"); mask=0; continue; fi
    case "${a,,}" in
      --*password*|--*secret*|--*token*|--*jaas*|--*credential*|--*user.info*|--*private*|--*.key) out+=("$a"); mask=1 ;;
      *://*:*@*) out+=("$(printf '%s' "$a" | sed -E 's#(://[^:/@]*):[^@/]*@#\1:******@#')") ;;
      *) out+=("$a") ;;
    esac
  done
  echo "${out[*]}"
}

check_job_module() {
  job_name "$1" >/dev/null 2>&1 || die "unknown job '${1:-}': the jobs are ingest-job and process-job"
}

flink_jobs() { # flink_jobs COMMAND ARGS...: io.pulse.tools.FlinkJobs against the stack's REST API
  local jar; jar=$(module_jar tools 'tools-*-all.jar') || exit 1
  "$(java_bin)" -Dlog.file="$(svc_dir flink)/logs/pulse-jobs.log" -Dlog4j.configurationFile="file:$STACK_DIR/conf/flink-log4j.properties" \
    -cp "$jar:$PULSE_LIB/flink/*" io.pulse.tools.FlinkJobs "http://127.0.0.1:$FLINK_REST_PORT" "$@"
}

require_flink() {
  flink-jobmanager_ready || die "the Flink cluster at http://127.0.0.1:$FLINK_REST_PORT is not up: start the stack with ./pulse up"
}

# ./pulse submit JOB [--parallelism N] [--from SAVEPOINT] [--allow-non-restored] [--key value ...]
cmd_submit() {
  local module=${1:-}; [ $# -gt 0 ] && shift
  check_job_module "$module"
  local parallelism="" from="" allow=0 settings=()
  while [ $# -gt 0 ]; do
    case $1 in
      --parallelism|-p) [ $# -ge 2 ] || die "--parallelism needs a number"; parallelism=$2; shift 2 ;;
      --from|-s) [ $# -ge 2 ] || die "--from needs a savepoint path"; from=$2; shift 2 ;;
      --allow-non-restored) allow=1; shift ;;
      *) settings+=("$1"); shift ;;
    esac
  done
  [ -z "$parallelism" ] || [[ $parallelism =~ ^[1-9][0-9]*$ ]] || die "--parallelism must be a whole number >= 1, got '$parallelism'"
  if [ -n "$from" ]; then
    from=${from#file://}; from=${from#file:}
    [ -e "$from" ] || die "no savepoint at $from (./pulse jobs and $(job_dir "$module")/latest-savepoint show the newest)"
  fi
  require_flink
  local name running; name=$(job_name "$module")
  running=$(flink_jobs find "$name" 2>/dev/null)
  [ -z "$running" ] || die "$module is running already ($name, job $running): stop it first with ./pulse stop $module, or use ./pulse upgrade $module"
  local jar; jar=$(module_jar "$module" "$module-*-job.jar") || exit 1
  load_stack_env
  # The secure stack's logins and CA for the job; flags given here win over them.
  local stack_settings=()
  [ -n "${PULSE_STACK_SETTINGS_DIR:-}" ] && [ -f "$PULSE_STACK_SETTINGS_DIR/$module.settings" ] \
    && stack_settings=(--settings "$PULSE_STACK_SETTINGS_DIR/$module.settings")
  local flags=(-d -m "127.0.0.1:$FLINK_REST_PORT")
  [ -n "$parallelism" ] && flags+=(-p "$parallelism")
  [ -n "$from" ] && flags+=(-s "$from")
  [ $allow -eq 1 ] && flags+=(--allowNonRestoredState)
  mkdir -p "$(job_dir "$module")"
  log "submitting $(basename "$jar")${parallelism:+ at parallelism $parallelism}${from:+ from $from} to http://127.0.0.1:$FLINK_REST_PORT ..."
  local out
  # shellcheck disable=SC2046
  out=$(FLINK_CONF_DIR="$(svc_dir flink)/conf" "$(java_bin)" $(flink_java_opts) \
    -Dlog.file="$(svc_dir flink)/logs/client.log" -Dlog4j.configurationFile="file:$(svc_dir flink)/conf/log4j.properties" \
    -cp "$PULSE_LIB/flink/*" org.apache.flink.client.cli.CliFrontend run "${flags[@]}" "$jar" "${stack_settings[@]}" "${settings[@]}" 2>&1)
  local rc=$?
  ( umask 077; printf '%s\n' "$out" > "$(job_dir "$module")/submit.log" )
  if [ $rc -ne 0 ]; then
    local operator; operator=$(grep -o 'Cannot map checkpoint/savepoint state for operator [0-9a-f]*' <<<"$out" | head -1 | awk '{print $NF}')
    if [ -n "$operator" ]; then
      die "the savepoint $from holds state of operator $operator, which this $module does not have (an output turned off by
       --sinks, or an operator whose uid changed). Resume with the settings and version that wrote it, or drop that
       state on purpose with --allow-non-restored. Flink's words: $(job_dir "$module")/submit.log"
    fi
    # The job's own words first (its main() says what to fix), else Flink's deepest cause.
    local why; why=$(grep -o 'The main method caused an error: .*' <<<"$out" | head -1 | sed 's/^The main method caused an error: //')
    [ -n "$why" ] || why=$(grep '^Caused by: ' <<<"$out" | tail -1)
    die "flink run of $module failed: $(cut -c1-700 <<<"$why")
       (whole output: $(job_dir "$module")/submit.log; client log: $(svc_dir flink)/logs/client.log)"
  fi
  grep -v '^\s*$' <<<"$out" | grep -iv "^Job has been submitted" >&2
  # The settings may hold passwords: readable by the owner only.
  ( umask 077; if [ ${#settings[@]} -eq 0 ]; then : > "$(job_dir "$module")/args"; else printf '%s\n' "${settings[@]}" > "$(job_dir "$module")/args"; fi )
  chmod 600 "$(job_dir "$module")/args"
  echo "${parallelism:-1}" > "$(job_dir "$module")/parallelism"
  local jid; jid=$(grep -o 'JobID [0-9a-f]*' <<<"$out" | awk '{print $2}' | tail -1)
  [ -n "$jid" ] || return 0
  echo "$jid" > "$(job_dir "$module")/job-id"
  flink_jobs wait-running "$jid" 180 || die "$module did not start: see above"
  log "$module ($name) running as job $jid"
}

cmd_jobs() {
  require_flink
  load_stack_env
  flink_jobs list || exit 1
  echo
  flink_jobs taskmanagers
}

# Stop-with-savepoint; the path becomes the job's latest savepoint.
stop_job() { # stop_job MODULE: prints the savepoint path
  local module=$1 name sp; name=$(job_name "$module")
  mkdir -p "$(job_dir "$module")"
  sp=$(flink_jobs stop "$name" "file://$(svc_dir flink)/savepoints" 600) || return $?
  sp=${sp#file:}
  echo "$sp" > "$(job_dir "$module")/latest-savepoint"
  echo "$sp" >> "$(job_dir "$module")/savepoints"
  echo "$sp"
}

cmd_stop() {
  local module=${1:-}; check_job_module "$module"
  require_flink
  local sp rc
  sp=$(stop_job "$module"); rc=$?
  case $rc in
    0) log "$module stopped; savepoint $sp"; log "resume it with: ./pulse resume $module [--parallelism N]" ;;
    3) die "$module is not running (./pulse jobs lists what is)" ;;
    *) die "could not stop $module with a savepoint (above)" ;;
  esac
}

# ./pulse resume JOB [--from SAVEPOINT] [--parallelism N] [--allow-non-restored] [--key value ...]:
# submits the job from its latest savepoint with the settings it was submitted with (overridable).
cmd_resume() {
  local module=${1:-}; [ $# -gt 0 ] && shift
  check_job_module "$module"
  local from="" parallelism="" rest=()
  while [ $# -gt 0 ]; do
    case $1 in
      --from|-s) [ $# -ge 2 ] || die "--from needs a savepoint path"; from=$2; shift 2 ;;
      --parallelism|-p) [ $# -ge 2 ] || die "--parallelism needs a number"; parallelism=$2; shift 2 ;;
      *) rest+=("$1"); shift ;;
    esac
  done
  if [ -z "$from" ]; then
    from=$(cat "$(job_dir "$module")/latest-savepoint" 2>/dev/null)
    [ -n "$from" ] || die "no savepoint of $module yet: stop it with ./pulse stop $module first, or pass --from SAVEPOINT"
  fi
  local saved=()
  if [ -f "$(job_dir "$module")/args" ]; then mapfile -t saved < "$(job_dir "$module")/args"; fi
  [ -n "$parallelism" ] || parallelism=$(cat "$(job_dir "$module")/parallelism" 2>/dev/null || echo 1)
  log "resuming $module from $from at parallelism $parallelism${saved[*]:+ with its settings $(masked_args "${saved[@]}")}"
  cmd_submit "$module" --from "$from" --parallelism "$parallelism" "${saved[@]}" "${rest[@]}"
}

cmd_upgrade() {
  local module=${1:-}; [ $# -gt 0 ] && shift
  check_job_module "$module"
  require_flink
  log "upgrade $module 1/3: stop with a savepoint ..."
  local sp rc; sp=$(stop_job "$module"); rc=$?
  [ $rc -eq 0 ] || die "$module was not stopped (nothing changed): $([ $rc -eq 3 ] && echo "it is not running; start it with ./pulse submit $module" || echo "the savepoint failed, above")"
  log "upgrade $module 2/3: build ..."
  "$PULSE_ROOT/mvnw" -B -q -f "$PULSE_ROOT/pom.xml" -pl "$module" -am install -DskipTests >"$PULSE_HOME/build-$module.log" 2>&1 \
    || { tail -30 "$PULSE_HOME/build-$module.log" >&2; die "the build failed; the job is stopped, its savepoint is $sp: fix the build and run ./pulse resume $module"; }
  log "upgrade $module 3/3: resume from $sp ..."
  cmd_resume "$module" --from "$sp" "$@"
}

# Called by `down` while Flink is still up: every running job stops with a savepoint and is marked
# to be resumed by the next `up`.
jobs_stop_for_down() {
  flink_overview 2>/dev/null | grep -Eq '"jobs-running":[1-9]' || return 0
  local module sp jid
  for module in $JOB_MODULES; do
    jid=$(flink_jobs find "$(job_name "$module")" 2>/dev/null)
    [ -n "$jid" ] || continue
    if sp=$(stop_job "$module"); then
      if [ "$jid" = "$(cat "$(job_dir "$module")/job-id" 2>/dev/null)" ]; then
        touch "$(job_dir "$module")/resume-on-up"
        log "  - $module stopped with savepoint $sp (./pulse up resumes it)"
      else
        log "  - $module (job $jid, not started by ./pulse submit) stopped with savepoint $sp;"
        log "    resume it with: ./pulse resume $module --from $sp --key value ... (its settings)"
      fi
    else
      log "pulse: $module could not take a savepoint; it is stopped with the servers and its last checkpoint is kept in $(svc_dir flink)/checkpoints"
    fi
  done
}

# Called at the end of `up`: the jobs `down` stopped are resumed from their savepoints.
jobs_resume_after_up() {
  local module
  for module in $JOB_MODULES; do
    [ -f "$(job_dir "$module")/resume-on-up" ] || continue
    rm -f "$(job_dir "$module")/resume-on-up"
    log "resuming $module, stopped by ./pulse down ..."
    ( cmd_resume "$module" ) >&2 || log "pulse: $module was not resumed (above); ./pulse resume $module tries again"
  done
}
