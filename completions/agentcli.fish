# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_agentcli_global_optspecs
    string join \n dir= color= width= q/quiet no-pager raw redact= redact-defaults utc local time-format= print-config h/help V/version
end

function __fish_agentcli_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_agentcli_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_agentcli_using_subcommand
    set -l cmd (__fish_agentcli_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c agentcli -n "__fish_agentcli_needs_command" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_needs_command" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_needs_command" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_needs_command" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_needs_command" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_needs_command" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_needs_command" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_needs_command" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_needs_command" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_needs_command" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_needs_command" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_needs_command" -l print-config -d 'Print the settings in effect (from flags, environment and the config file) as a config file, and exit'
complete -c agentcli -n "__fish_agentcli_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_needs_command" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "list" -d 'List the sessions under the trace directory, with a summary of each'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "diff" -d 'Compare two sessions: where their routes diverge, agents added or removed, per-agent runs and timing, errors, tokens, wall time'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "export" -d 'Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace events, or push them to an OTLP/HTTP collector'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "stats" -d 'Per-agent runs, errors, p50/p95/p99/max run time and tokens over every matching session'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "__complete" -d 'Candidates for shell completion, one per line (used by the scripts in completions/)'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "validate" -d 'Check sessions for structural defects (for CI gates)'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "trace" -d 'Show one session\'s timeline, or export its entries'
complete -c agentcli -n "__fish_agentcli_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l since -d 'Keep sessions that started at or after TIME: a date, a date and time, now, today, yesterday, or a span back from now (30m, 2h, 3d, 1w)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l until -d 'Keep sessions that started at or before TIME (a bare date includes that whole day)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l agent -d 'Keep sessions in which this agent ran (repeatable: any of them)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l sort -d 'Order of the rows' -r -f -a "start\t'Start time, newest first'
id\t'Session id, A to Z'
duration\t'Duration, longest first'
entries\t'Entries, most first'
errors\t'Errors, most first'
agents\t'Agents, most first'"
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s n -l limit -d 'Show at most N sessions (after sorting)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l glob -d 'Which files are traces: a glob on the file name, or on the path below the directory when it has a /. Default: names ending in .trace.json' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l format -d 'Output format' -r -f -a "table\t'A table for people (default)'
json\t'One JSON array of sessions'
jsonl\t'One JSON object per line'
csv\t'RFC 4180 CSV with a header row'"
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l poll-interval -d 'With --follow: how often to look for changes when file notifications are not delivered (network file systems, watch limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to 1h)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s v -l verbose -d 'Also show each session\'s path, size, agents and first error'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l failed -d 'Keep sessions with at least one error'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s r -l reverse -d 'Reverse the order'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l no-formula-guard -d 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l no-cache -d 'Read every file again. By default summaries are kept in $XDG_CACHE_HOME/agentcli (else ~/.cache/agentcli) and reused while a file keeps its size and modification time'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l follow -d 'Instead of listing, follow every session under --dir as it is written: the same as `agentcli trace --follow` without a session'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l poll -d 'With --follow: look every --poll-interval instead of using file notifications'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand list" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l fail-on-regression -d 'Exit with status 1 when B\'s wall time exceeds A\'s by more than PCT percent' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l format -d 'Output format' -r -f -a "text\t'One line per defect, `path:line:column: kind: message`'
json\t'One JSON array with an object per file'"
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand diff" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l format -d 'Output format' -r -f -a "otlp\t'One OTLP/JSON ExportTraceServiceRequest with every session'
otlp-jsonl\t'One request per session, a line each'
chrome\t'Chrome trace events, a process per session'"
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l since -d 'Sessions that started at or after TIME (as for list)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l until -d 'Sessions that started at or before TIME' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l agent -d 'Sessions in which this agent ran (repeatable: any of them)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l glob -d 'Which files are traces (as for list)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l service-name -d 'service.name of the exported traces' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l otlp-endpoint -d 'Send the traces to an OTLP/HTTP collector instead of writing them (http://localhost:4318 is taken as http://localhost:4318/v1/traces)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l otlp-header -d 'A header to send, such as an API key (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l otlp-timeout -d 'How long one request may take' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l otlp-retries -d 'Retries on 429, 502, 503, 504 and connection failures, with backoff (Retry-After is honored)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l failed -d 'Sessions with at least one error'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l include-state -d 'Put each run\'s input and output state into span attributes (can be large, and may hold secrets)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand export" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l since -d 'Sessions that started at or after TIME (as for list)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l until -d 'Sessions that started at or before TIME' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l agent -d 'Only these agents (repeatable), in the sessions where they ran' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -s f -l filter -d 'Only entries matching FILTER are paired into runs (as for trace)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l glob -d 'Which files are traces (as for list)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l format -d 'Output format' -r -f -a "table\t'A table for people (default)'
json\t'One JSON array of sessions'
jsonl\t'One JSON object per line'
csv\t'RFC 4180 CSV with a header row'"
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l no-formula-guard -d 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand stats" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand __complete" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l tolerance -d 'How far back in time an entry may go before it is a defect (parallel agents interleave): 500ms, 1s, 5s' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l format -d 'Output format' -r -f -a "text\t'One line per defect, `path:line:column: kind: message`'
json\t'One JSON array with an object per file'"
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand validate" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s f -l filter -d 'Keep entries matching FILTER: agent=NAME, hook=HOOK, event=ID, error, ... (repeatable; all must match; the Filters section of --help has the grammar)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l agent -d 'Keep entries of this agent: the same as --filter agent=NAME. Repeatable (any of them); combined with --filter, both must match' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l since -d 'Keep entries at or after TIME (a date, a date and time, or a span back from now such as 30m)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l until -d 'Keep entries at or before TIME (a bare date includes that whole day)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l at -d 'Show entry N (the # of the table) in full, with the state keys added, removed and changed since the previous state of its event or agent' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l service-name -d 'service.name of the exported traces' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l otlp-endpoint -d 'Send the traces to an OTLP/HTTP collector instead of writing them (http://localhost:4318 is taken as http://localhost:4318/v1/traces)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l otlp-header -d 'A header to send, such as an API key (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l otlp-timeout -d 'How long one request may take' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l otlp-retries -d 'Retries on 429, 502, 503, 504 and connection failures, with backoff (Retry-After is honored)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l top -d 'With --analyze: how many of the slowest runs to show' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l poll-interval -d 'With --follow: how often to look for changes when file notifications are not delivered (network file systems, watch limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to 1h)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l format -d 'Output format' -r -f -a "table\t'A table for people (default)'
json\t'One JSON array of entries'
jsonl\t'One JSON object per line'
csv\t'RFC 4180 CSV with a header row'
mermaid\t'A Mermaid diagram of the flow (implies --flow-only)'
dot\t'A Graphviz digraph of the agent graph (implies --flow-only)'
otlp\t'OpenTelemetry: one OTLP/JSON ExportTraceServiceRequest'
otlp-jsonl\t'OpenTelemetry: one request per line (the OpenTelemetry file exporter\'s format)'
chrome\t'Chrome trace events, for Perfetto and chrome://tracing'"
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l diagram -d 'With --format mermaid: a sequence diagram of the hops, or a graph of the agents' -r -f -a "sequence\t'A sequenceDiagram of the hops in time order'
graph\t'A flowchart of the agent graph, with hop counts on the edges'"
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l dir -d 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file\'s dir, else the current directory' -r -F
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l color -d 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always, even in a pipe'
never\t'Never'"
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l width -d 'Width of tables in columns, at least 20. Default: the terminal\'s, else $COLUMNS, else 120' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l redact -d 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact \'*token_secret*\' (repeatable)' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l time-format -d 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session\'s first entry), full (RFC 3339), or a strftime pattern such as \'%H:%M:%S%.6f\'' -r
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s v -l verbose -d 'Show each entry\'s full state, result and unknown keys under its row'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l debug -d 'Show each entry\'s raw text and position, and every reader problem'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l analyze -d 'Analyze the session instead of listing entries: wall time, runs, errors, retries, loops, tokens; per agent p50/p95/p99/max and share of time; the critical path; the slowest runs; the first error. With --format json, the same as JSON'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l include-state -d 'Put each run\'s input and output state into span attributes (can be large, and may hold secrets)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l state-diff -d 'With --flow-only: the state keys each hop added, removed or changed (from the event\'s input state to the run\'s output state)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l follow -d 'Keep reading as the session is written: show what the file holds, then each new entry as soon as it is complete, until Ctrl-C. Without SESSION, follow every session under --dir'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l poll -d 'With --follow: look every --poll-interval instead of using file notifications'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l flow-only -d 'Show who handed work to whom instead of every entry: the flow table, sequence diagrams, the condensed route and a lane diagram; with --format json|jsonl|csv, the hops as records'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l no-formula-guard -d 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s q -l quiet -d 'Do not print notes (warnings about damaged input are still printed)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l no-pager -d 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l raw -d 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l redact-defaults -d 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l utc -d 'Show times in UTC'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -l local -d 'Show times in this machine\'s zone (TZ). Default: each entry\'s offset as written (lists of sessions: local)'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c agentcli -n "__fish_agentcli_using_subcommand trace" -s V -l version -d 'Print version'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "list" -d 'List the sessions under the trace directory, with a summary of each'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "diff" -d 'Compare two sessions: where their routes diverge, agents added or removed, per-agent runs and timing, errors, tokens, wall time'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "export" -d 'Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace events, or push them to an OTLP/HTTP collector'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "stats" -d 'Per-agent runs, errors, p50/p95/p99/max run time and tokens over every matching session'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "__complete" -d 'Candidates for shell completion, one per line (used by the scripts in completions/)'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "validate" -d 'Check sessions for structural defects (for CI gates)'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "trace" -d 'Show one session\'s timeline, or export its entries'
complete -c agentcli -n "__fish_agentcli_using_subcommand help; and not __fish_seen_subcommand_from list diff export stats __complete validate trace help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

# Session ids, filters and agent names, from agentcli itself.
complete -c agentcli -n "__fish_seen_subcommand_from trace diff export validate" -f -a "(agentcli __complete sessions (commandline -ct) 2>/dev/null)"
complete -c agentcli -n "__fish_seen_subcommand_from trace stats" -s f -l filter -x -a "(agentcli __complete filters (commandline -ct) 2>/dev/null)"
complete -c agentcli -n "__fish_seen_subcommand_from list trace stats export" -l agent -x -a "(agentcli __complete agents 2>/dev/null)"
