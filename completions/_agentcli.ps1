
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'agentcli' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'agentcli'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'agentcli' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('--print-config', '--print-config', [CompletionResultType]::ParameterName, 'Print the settings in effect (from flags, environment and the config file) as a config file, and exit')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sessions under the trace directory, with a summary of each')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two sessions: where their routes diverge, agents added or removed, per-agent runs and timing, errors, tokens, wall time')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace events, or push them to an OTLP/HTTP collector')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Per-agent runs, errors, p50/p95/p99/max run time and tokens over every matching session')
            [CompletionResult]::new('__complete', '__complete', [CompletionResultType]::ParameterValue, 'Candidates for shell completion, one per line (used by the scripts in completions/)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check sessions for structural defects (for CI gates)')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Show one session''s timeline, or export its entries')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentcli;list' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Keep sessions that started at or after TIME: a date, a date and time, now, today, yesterday, or a span back from now (30m, 2h, 3d, 1w)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Keep sessions that started at or before TIME (a bare date includes that whole day)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Keep sessions in which this agent ran (repeatable: any of them)')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order of the rows')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show at most N sessions (after sorting)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N sessions (after sorting)')
            [CompletionResult]::new('--glob', '--glob', [CompletionResultType]::ParameterName, 'Which files are traces: a glob on the file name, or on the path below the directory when it has a /. Default: names ending in .trace.json')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--poll-interval', '--poll-interval', [CompletionResultType]::ParameterName, 'With --follow: how often to look for changes when file notifications are not delivered (network file systems, watch limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to 1h)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Also show each session''s path, size, agents and first error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Also show each session''s path, size, agents and first error')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Keep sessions with at least one error')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Reverse the order')
            [CompletionResult]::new('--reverse', '--reverse', [CompletionResultType]::ParameterName, 'Reverse the order')
            [CompletionResult]::new('--no-formula-guard', '--no-formula-guard', [CompletionResultType]::ParameterName, 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote')
            [CompletionResult]::new('--no-cache', '--no-cache', [CompletionResultType]::ParameterName, 'Read every file again. By default summaries are kept in $XDG_CACHE_HOME/agentcli (else ~/.cache/agentcli) and reused while a file keeps its size and modification time')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Instead of listing, follow every session under --dir as it is written: the same as `agentcli trace --follow` without a session')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --follow: look every --poll-interval instead of using file notifications')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;diff' {
            [CompletionResult]::new('--fail-on-regression', '--fail-on-regression', [CompletionResultType]::ParameterName, 'Exit with status 1 when B''s wall time exceeds A''s by more than PCT percent')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;export' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Sessions that started at or after TIME (as for list)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Sessions that started at or before TIME')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Sessions in which this agent ran (repeatable: any of them)')
            [CompletionResult]::new('--glob', '--glob', [CompletionResultType]::ParameterName, 'Which files are traces (as for list)')
            [CompletionResult]::new('--service-name', '--service-name', [CompletionResultType]::ParameterName, 'service.name of the exported traces')
            [CompletionResult]::new('--otlp-endpoint', '--otlp-endpoint', [CompletionResultType]::ParameterName, 'Send the traces to an OTLP/HTTP collector instead of writing them (http://localhost:4318 is taken as http://localhost:4318/v1/traces)')
            [CompletionResult]::new('--otlp-header', '--otlp-header', [CompletionResultType]::ParameterName, 'A header to send, such as an API key (repeatable)')
            [CompletionResult]::new('--otlp-timeout', '--otlp-timeout', [CompletionResultType]::ParameterName, 'How long one request may take')
            [CompletionResult]::new('--otlp-retries', '--otlp-retries', [CompletionResultType]::ParameterName, 'Retries on 429, 502, 503, 504 and connection failures, with backoff (Retry-After is honored)')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Sessions with at least one error')
            [CompletionResult]::new('--include-state', '--include-state', [CompletionResultType]::ParameterName, 'Put each run''s input and output state into span attributes (can be large, and may hold secrets)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;stats' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Sessions that started at or after TIME (as for list)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Sessions that started at or before TIME')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Only these agents (repeatable), in the sessions where they ran')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Only entries matching FILTER are paired into runs (as for trace)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Only entries matching FILTER are paired into runs (as for trace)')
            [CompletionResult]::new('--glob', '--glob', [CompletionResultType]::ParameterName, 'Which files are traces (as for list)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('--no-formula-guard', '--no-formula-guard', [CompletionResultType]::ParameterName, 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;__complete' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;validate' {
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'How far back in time an entry may go before it is a defect (parallel agents interleave): 500ms, 1s, 5s')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;trace' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep entries matching FILTER: agent=NAME, hook=HOOK, event=ID, error, ... (repeatable; all must match; the Filters section of --help has the grammar)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'Keep entries matching FILTER: agent=NAME, hook=HOOK, event=ID, error, ... (repeatable; all must match; the Filters section of --help has the grammar)')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'Keep entries of this agent: the same as --filter agent=NAME. Repeatable (any of them); combined with --filter, both must match')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Keep entries at or after TIME (a date, a date and time, or a span back from now such as 30m)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Keep entries at or before TIME (a bare date includes that whole day)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Show entry N (the # of the table) in full, with the state keys added, removed and changed since the previous state of its event or agent')
            [CompletionResult]::new('--service-name', '--service-name', [CompletionResultType]::ParameterName, 'service.name of the exported traces')
            [CompletionResult]::new('--otlp-endpoint', '--otlp-endpoint', [CompletionResultType]::ParameterName, 'Send the traces to an OTLP/HTTP collector instead of writing them (http://localhost:4318 is taken as http://localhost:4318/v1/traces)')
            [CompletionResult]::new('--otlp-header', '--otlp-header', [CompletionResultType]::ParameterName, 'A header to send, such as an API key (repeatable)')
            [CompletionResult]::new('--otlp-timeout', '--otlp-timeout', [CompletionResultType]::ParameterName, 'How long one request may take')
            [CompletionResult]::new('--otlp-retries', '--otlp-retries', [CompletionResultType]::ParameterName, 'Retries on 429, 502, 503, 504 and connection failures, with backoff (Retry-After is honored)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'With --analyze: how many of the slowest runs to show')
            [CompletionResult]::new('--poll-interval', '--poll-interval', [CompletionResultType]::ParameterName, 'With --follow: how often to look for changes when file notifications are not delivered (network file systems, watch limits), and as a safety net when they are: 250ms, 1s, 2m (10ms to 1h)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--diagram', '--diagram', [CompletionResultType]::ParameterName, 'With --format mermaid: a sequence diagram of the hops, or a graph of the agents')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Directory holding the traces, searched recursively (traces/ inside it first). Default: AGENTCLI_DIR, else the config file''s dir, else the current directory')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colors (default: AGENTCLI_COLOR, else auto). With auto, NO_COLOR and CLICOLOR_FORCE are honored')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of tables in columns, at least 20. Default: the terminal''s, else $COLUMNS, else 120')
            [CompletionResult]::new('--redact', '--redact', [CompletionResultType]::ParameterName, 'Mask the values of state keys matching GLOB (any depth, any case) in every output and export: --redact ''*token_secret*'' (repeatable)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How times read: clock (10:15:02.123, with the date or offset when needed), relative (+1.234s since the session''s first entry), full (RFC 3339), or a strftime pattern such as ''%H:%M:%S%.6f''')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show each entry''s full state, result and unknown keys under its row')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show each entry''s full state, result and unknown keys under its row')
            [CompletionResult]::new('--debug', '--debug', [CompletionResultType]::ParameterName, 'Show each entry''s raw text and position, and every reader problem')
            [CompletionResult]::new('--analyze', '--analyze', [CompletionResultType]::ParameterName, 'Analyze the session instead of listing entries: wall time, runs, errors, retries, loops, tokens; per agent p50/p95/p99/max and share of time; the critical path; the slowest runs; the first error. With --format json, the same as JSON')
            [CompletionResult]::new('--include-state', '--include-state', [CompletionResultType]::ParameterName, 'Put each run''s input and output state into span attributes (can be large, and may hold secrets)')
            [CompletionResult]::new('--state-diff', '--state-diff', [CompletionResultType]::ParameterName, 'With --flow-only: the state keys each hop added, removed or changed (from the event''s input state to the run''s output state)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading as the session is written: show what the file holds, then each new entry as soon as it is complete, until Ctrl-C. Without SESSION, follow every session under --dir')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --follow: look every --poll-interval instead of using file notifications')
            [CompletionResult]::new('--flow-only', '--flow-only', [CompletionResultType]::ParameterName, 'Show who handed work to whom instead of every entry: the flow table, sequence diagrams, the condensed route and a lane diagram; with --format json|jsonl|csv, the hops as records')
            [CompletionResult]::new('--no-formula-guard', '--no-formula-guard', [CompletionResultType]::ParameterName, 'In CSV, do not prefix cells that start with = + - @, a tab or a carriage return with a quote')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print notes (warnings about damaged input are still printed)')
            [CompletionResult]::new('--no-pager', '--no-pager', [CompletionResultType]::ParameterName, 'Do not page long output (default on a terminal: AGENTCLI_PAGER, else PAGER, else less -FRX)')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Show control characters and escape sequences from the data as they are, instead of escaped (they can move the cursor, retitle the window, hide text: only for data you trust)')
            [CompletionResult]::new('--redact-defaults', '--redact-defaults', [CompletionResultType]::ParameterName, 'Mask the usual secrets: *api_key*, *apikey*, *access_token*, *auth_token*, *password*, *secret*, authorization, cookie (token counts such as prompt_tokens stay visible)')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show times in UTC')
            [CompletionResult]::new('--local', '--local', [CompletionResultType]::ParameterName, 'Show times in this machine''s zone (TZ). Default: each entry''s offset as written (lists of sessions: local)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'agentcli;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the sessions under the trace directory, with a summary of each')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Compare two sessions: where their routes diverge, agents added or removed, per-agent runs and timing, errors, tokens, wall time')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export sessions as OpenTelemetry traces (OTLP/JSON) or Chrome trace events, or push them to an OTLP/HTTP collector')
            [CompletionResult]::new('stats', 'stats', [CompletionResultType]::ParameterValue, 'Per-agent runs, errors, p50/p95/p99/max run time and tokens over every matching session')
            [CompletionResult]::new('__complete', '__complete', [CompletionResultType]::ParameterValue, 'Candidates for shell completion, one per line (used by the scripts in completions/)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check sessions for structural defects (for CI gates)')
            [CompletionResult]::new('trace', 'trace', [CompletionResultType]::ParameterValue, 'Show one session''s timeline, or export its entries')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'agentcli;help;list' {
            break
        }
        'agentcli;help;diff' {
            break
        }
        'agentcli;help;export' {
            break
        }
        'agentcli;help;stats' {
            break
        }
        'agentcli;help;__complete' {
            break
        }
        'agentcli;help;validate' {
            break
        }
        'agentcli;help;trace' {
            break
        }
        'agentcli;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
