
use builtin;
use str;

set edit:completion:arg-completer[agentcli] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'agentcli'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'agentcli'= {
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand --print-config 'Print the settings in effect (from flags, environment and the config file) as a config file, and exit'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List the sessions under the trace directory, with a summary of each'
            cand diff 'Compare two sessions: where their routes diverge, agents added or removed, per-agent runs and timing, errors, tokens, wall time'
            cand export 'Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace events, or push them to an OTLP/HTTP collector'
            cand stats 'Per-agent runs, errors, p50/p95/p99/max run time and tokens over every matching session'
            cand __complete 'Candidates for shell completion, one per line (used by the scripts in completions/)'
            cand validate 'Check sessions for structural defects (for CI gates)'
            cand trace 'Show one session''s timeline, or export its entries'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentcli;list'= {
            cand --since 'Keep sessions that started at or after TIME: a date, a date and time, now, today, yesterday, or a span back from now (30m, 2h, 3d, 1w)'
            cand --until 'Keep sessions that started at or before TIME (a bare date includes that whole day)'
            cand --agent 'Keep sessions in which this agent ran (repeatable: any of them)'
            cand --sort 'Order of the rows'
            cand -n 'Show at most N sessions (after sorting)'
            cand --limit 'Show at most N sessions (after sorting)'
            cand --glob 'Which files are traces: a glob on the file name, or on the path below the directory when it has a /. Default: names ending in .trace.json'
            cand --format 'Output format'
            cand --poll-interval 'With --follow: how often to look for changes when file notifications are not delivered (network file systems, watch limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to 1h)'
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand -v 'Also show each session''s path, size, agents and first error'
            cand --verbose 'Also show each session''s path, size, agents and first error'
            cand --failed 'Keep sessions with at least one error'
            cand -r 'Reverse the order'
            cand --reverse 'Reverse the order'
            cand --no-formula-guard 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote'
            cand --no-cache 'Read every file again. By default summaries are kept in $XDG_CACHE_HOME/agentcli (else ~/.cache/agentcli) and reused while a file keeps its size and modification time'
            cand --follow 'Instead of listing, follow every session under --dir as it is written: the same as `agentcli trace --follow` without a session'
            cand --poll 'With --follow: look every --poll-interval instead of using file notifications'
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;diff'= {
            cand --fail-on-regression 'Exit with status 1 when B''s wall time exceeds A''s by more than PCT percent'
            cand --format 'Output format'
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;export'= {
            cand --format 'Output format'
            cand --since 'Sessions that started at or after TIME (as for list)'
            cand --until 'Sessions that started at or before TIME'
            cand --agent 'Sessions in which this agent ran (repeatable: any of them)'
            cand --glob 'Which files are traces (as for list)'
            cand --service-name 'service.name of the exported traces'
            cand --otlp-endpoint 'Send the traces to an OTLP/HTTP collector instead of writing them (http://localhost:4318 is taken as http://localhost:4318/v1/traces)'
            cand --otlp-header 'A header to send, such as an API key (repeatable)'
            cand --otlp-timeout 'How long one request may take'
            cand --otlp-retries 'Retries on 429, 502, 503, 504 and connection failures, with backoff (Retry-After is honored)'
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand --failed 'Sessions with at least one error'
            cand --include-state 'Put each run''s input and output state into span attributes (can be large, and may hold secrets)'
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;stats'= {
            cand --since 'Sessions that started at or after TIME (as for list)'
            cand --until 'Sessions that started at or before TIME'
            cand --agent 'Only these agents (repeatable), in the sessions where they ran'
            cand -f 'Only entries matching FILTER are paired into runs (as for trace)'
            cand --filter 'Only entries matching FILTER are paired into runs (as for trace)'
            cand --glob 'Which files are traces (as for list)'
            cand --format 'Output format'
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand --no-formula-guard 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote'
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;__complete'= {
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;validate'= {
            cand --tolerance 'How far back in time an entry may go before it is a defect (parallel agents interleave): 500ms, 1s, 5s'
            cand --format 'Output format'
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;trace'= {
            cand -f 'Keep entries matching FILTER: agent=NAME, hook=HOOK, event=ID, error, ... (repeatable; all must match; the Filters section of --help has the grammar)'
            cand --filter 'Keep entries matching FILTER: agent=NAME, hook=HOOK, event=ID, error, ... (repeatable; all must match; the Filters section of --help has the grammar)'
            cand --agent 'Keep entries of this agent: the same as --filter agent=NAME. Repeatable (any of them); combined with --filter, both must match'
            cand --since 'Keep entries at or after TIME (a date, a date and time, or a span back from now such as 30m)'
            cand --until 'Keep entries at or before TIME (a bare date includes that whole day)'
            cand --at 'Show entry N (the # of the table) in full, with the state keys added, removed and changed since the previous state of its event or agent'
            cand --service-name 'service.name of the exported traces'
            cand --otlp-endpoint 'Send the traces to an OTLP/HTTP collector instead of writing them (http://localhost:4318 is taken as http://localhost:4318/v1/traces)'
            cand --otlp-header 'A header to send, such as an API key (repeatable)'
            cand --otlp-timeout 'How long one request may take'
            cand --otlp-retries 'Retries on 429, 502, 503, 504 and connection failures, with backoff (Retry-After is honored)'
            cand --top 'With --analyze: how many of the slowest runs to show'
            cand --poll-interval 'With --follow: how often to look for changes when file notifications are not delivered (network file systems, watch limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to 1h)'
            cand --format 'Output format'
            cand --diagram 'With --format mermaid: a sequence diagram of the hops, or a graph of the agents'
            cand --dir 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory'
            cand --color 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored'
            cand --width 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120'
            cand --redact 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)'
            cand --time-format 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f'''
            cand -v 'Show each entry''s full state, result and unknown keys under its row'
            cand --verbose 'Show each entry''s full state, result and unknown keys under its row'
            cand --debug 'Show each entry''s raw text and position, and every reader problem'
            cand --analyze 'Analyze the session instead of listing entries: wall time, runs, errors, retries, loops, tokens; per agent p50/p95/p99/max and share of time; the critical path; the slowest runs; the first error. With --format json, the same as JSON'
            cand --include-state 'Put each run''s input and output state into span attributes (can be large, and may hold secrets)'
            cand --state-diff 'With --flow-only: the state keys each hop added, removed or changed (from the event''s input state to the run''s output state)'
            cand --follow 'Keep reading as the session is written: show what the file holds, then each new entry as soon as it is complete, until Ctrl-C. Without SESSION, follow every session under --dir'
            cand --poll 'With --follow: look every --poll-interval instead of using file notifications'
            cand --flow-only 'Show who handed work to whom instead of every entry: the flow table, sequence diagrams, the condensed route and a lane diagram; with --format json|jsonl|csv, the hops as records'
            cand --no-formula-guard 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote'
            cand -q 'Do not print notes (warnings about damaged input are still printed)'
            cand --quiet 'Do not print notes (warnings about damaged input are still printed)'
            cand --no-pager 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)'
            cand --raw 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)'
            cand --redact-defaults 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)'
            cand --utc 'Show times in UTC'
            cand --local 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'agentcli;help'= {
            cand list 'List the sessions under the trace directory, with a summary of each'
            cand diff 'Compare two sessions: where their routes diverge, agents added or removed, per-agent runs and timing, errors, tokens, wall time'
            cand export 'Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace events, or push them to an OTLP/HTTP collector'
            cand stats 'Per-agent runs, errors, p50/p95/p99/max run time and tokens over every matching session'
            cand __complete 'Candidates for shell completion, one per line (used by the scripts in completions/)'
            cand validate 'Check sessions for structural defects (for CI gates)'
            cand trace 'Show one session''s timeline, or export its entries'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'agentcli;help;list'= {
        }
        &'agentcli;help;diff'= {
        }
        &'agentcli;help;export'= {
        }
        &'agentcli;help;stats'= {
        }
        &'agentcli;help;__complete'= {
        }
        &'agentcli;help;validate'= {
        }
        &'agentcli;help;trace'= {
        }
        &'agentcli;help;help'= {
        }
    ]
    $completions[$command]
}
