//! Links between the documentation files: every relative link names a file that exists, and every
//! `#anchor` into a Markdown file a heading it has (GitHub's anchors).

use std::path::Path;

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces turned into hyphens.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut anchors = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            anchors.push(anchor(line.trim_start_matches('#')));
        }
    }
    anchors
}

/// The targets of the inline links `[text](target)` outside code.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut in_code = false;
    let mut targets = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        for (index, _) in line.match_indices("](") {
            let rest = &line[index + 2..];
            if let Some(end) = rest.find(')') {
                targets.push(rest[..end].to_owned());
            }
        }
    }
    targets
}

/// Broken links of one file (relative to the repository's root), as `file: target (why)`.
pub fn broken_links(root: &Path, file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join(file)).expect("read a documentation file");
    let dir = file.parent().unwrap_or(Path::new(""));
    let mut broken = Vec::new();
    for target in link_targets(&text) {
        if target.contains("://") || target.starts_with("mailto:") {
            continue;
        }
        let (path, fragment) = target.split_once('#').unwrap_or((target.as_str(), ""));
        let linked = if path.is_empty() { file.to_owned() } else { dir.join(path) };
        // A directory or a binary file (an image) resolves too; only Markdown files are read for anchors.
        let exists = root.join(&linked).exists();
        let read = std::fs::read_to_string(root.join(&linked));
        let Ok(linked_text) = read.or_else(|e| if exists { Ok(String::new()) } else { Err(e) }) else {
            broken.push(format!("{}: {target} (no such file)", file.display()));
            continue;
        };
        if !fragment.is_empty()
            && linked.extension().is_some_and(|e| e == "md")
            && !anchors(&linked_text).contains(&fragment.to_owned())
        {
            broken.push(format!("{}: {target} (no such heading)", file.display()));
        }
    }
    broken
}

#[test]
fn anchors_are_githubs() {
    assert_eq!(
        anchor(" Rollups: satisfaction without scanning every answer"),
        "rollups-satisfaction-without-scanning-every-answer"
    );
    assert_eq!(anchor("Health, readiness, metrics, logs"), "health-readiness-metrics-logs");
    assert_eq!(
        anchor("Why the nested page is not yet 3 × PostGraphile"),
        "why-the-nested-page-is-not-yet-3--postgraphile"
    );
}
