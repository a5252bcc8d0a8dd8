//! Arbitrary text as a `--filter` expression (and as `--since`/`--until`):
//! never a panic; a filter that parses prints as one that parses the same,
//! and matching never panics.
#![no_main]

use agentcli::analysis::time_range::{parse_time, End};
use agentcli::analysis::Condition;
use agentcli::model::{AgentResult, Entry, Hook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Condition::parse(&text) {
        Ok(c) => {
            let shown = c.to_string();
            assert_eq!(
                Condition::parse(&shown).as_ref(),
                Ok(&c),
                "shown as {shown:?}"
            );
            for e in entries() {
                let _ = c.matches(&e);
                let _ = c.matches_with_next(&e, Some("writer"));
                let _ = c.matches_with_next(&e, None);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let now = chrono::DateTime::from_timestamp(1_746_196_335, 0).expect("a time");
    for end in [End::Since, End::Until] {
        let _ = parse_time(&text, end, now);
    }
});

fn entries() -> Vec<Entry> {
    vec![
        Entry {
            index: 1,
            agent_id: Some("planner".into()),
            event_id: Some("req-17461596-planner".into()),
            session_id: Some("session-1".into()),
            hook: Hook::AfterAgentRun,
            state_route: Some("writer".into()),
            ..Entry::default()
        },
        Entry {
            index: 2,
            target_agent_id: Some("writer".into()),
            source_agent_id: Some("é🦀".into()),
            hook: Hook::Other("OnTool\u{2028}".into()),
            result: Some(AgentResult {
                error: Some("Rate LIMIT \u{130} exceeded ǅ".into()),
                ..AgentResult::default()
            }),
            ..Entry::default()
        },
        Entry::default(),
    ]
}
