//! Fenced code blocks of the documentation files, with their tags.

use std::path::{Path, PathBuf};

/// What a block's info string says to do with it (see the rule in `mod.rs`).
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Shell,
    ShellCi,
    ShellNoRun,
    Graphql,
    Answer,
    Excerpt,
    /// An example of a file or an output: never run.
    Shown,
    /// A shell dialect the rule does not know.
    Unknown(String),
}

impl Kind {
    fn of(info: &str) -> Kind {
        match info.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["sh"] => Kind::Shell,
            ["sh", "ci"] => Kind::ShellCi,
            ["sh", "no-run"] => Kind::ShellNoRun,
            ["graphql"] => Kind::Graphql,
            ["json", "answer"] => Kind::Answer,
            ["json", "excerpt"] => Kind::Excerpt,
            [language, ..] if ["sh", "bash", "shell", "console", "zsh", "shell-session"].contains(language) => {
                Kind::Unknown(info.to_owned())
            }
            _ => Kind::Shown,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Block {
    /// Relative to the repository's root.
    pub file: PathBuf,
    /// `file:line` of the opening fence.
    pub location: String,
    pub kind: Kind,
    pub text: String,
}

impl Block {
    /// The block's command lines: continuation lines joined, comments and blank lines left out.
    pub fn command_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.text
            .replace("\\\n", " ")
            .lines()
            .map(|line| line.split(" #").next().unwrap_or_default().trim().to_owned())
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .collect::<Vec<_>>()
            .into_iter()
    }
}

/// `README.md`, and the Markdown files in `docs/` and `examples/`. Not `BENCHMARKS.md`, the report of
/// a benchmark run (its commands and PostGraphile's query are the run's record), nor `CHANGELOG.md`.
pub fn documented_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    for dir in ["docs", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(Path::new(dir).join(entry.file_name()));
            }
        }
    }
    files.sort();
    files
}

/// The fenced blocks of one file (fences at the start of a line, three backticks).
pub fn fenced_blocks(root: &Path, file: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((index + 1, info.trim().to_owned(), Vec::new())),
            (Some(_), Some(rest)) if rest.trim().is_empty() => {
                let (line_number, info, body) = open.take().expect("an open block");
                blocks.push(Block {
                    file: file.to_owned(),
                    location: format!("{}:{line_number}", file.display()),
                    kind: Kind::of(&info),
                    text: body.join("\n") + "\n",
                });
            }
            (Some((_, _, body)), _) => body.push(line),
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "{}: a fenced block is not closed", file.display());
    blocks
}
