//! The files of an import directory. A CSV file that is not one of the tables' is refused (a misnamed
//! `feedbacks.csv` would otherwise leave its rows out without a word), or skipped when the user says so;
//! anything else is ignored, and both are listed in the import's report.

use std::path::Path;

use crate::transfer::records::{RecordError, Table};
use crate::transfer::source::io_error;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryFiles {
    /// The tables that have a file, parents first.
    pub tables: Vec<Table>,
    /// CSV files that are not a table's, left out at the user's request.
    pub skipped: Vec<String>,
    /// Everything else in the directory (other files, directories), by name.
    pub ignored: Vec<String>,
}

/// A name further than this many edits from every table's file name gets no suggestion.
const MAX_SUGGESTION_EDITS: usize = 2;

pub fn scan(dir: &Path, skip_unknown_files: bool) -> Result<DirectoryFiles, Vec<RecordError>> {
    let directory = dir.display().to_string();
    let unreadable = |e: std::io::Error| vec![io_error(&directory, 0, format!("cannot read the directory: {e}"))];
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        entries.push((name, path.is_file(), path.is_dir()));
    }
    entries.sort();

    let mut files = DirectoryFiles::default();
    let mut unknown = Vec::new();
    for (name, is_file, is_dir) in entries {
        if !is_file || !is_csv(&name) {
            files.ignored.push(if is_dir { format!("{name}/") } else { name });
        } else if let Some(table) = Table::ALL.into_iter().find(|t| t.file_name() == name) {
            files.tables.push(table);
        } else if skip_unknown_files {
            files.skipped.push(name);
        } else {
            unknown.push(unknown_file(&name));
        }
    }
    if !unknown.is_empty() {
        return Err(unknown);
    }
    files.tables.sort_by_key(|table| Table::ALL.iter().position(|t| t == table));
    if files.tables.is_empty() {
        return Err(vec![io_error(&directory, 0, format!("holds none of {}", table_file_names()))]);
    }
    Ok(files)
}

fn is_csv(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

fn table_file_names() -> String {
    Table::ALL.map(Table::file_name).join(", ")
}

fn unknown_file(name: &str) -> RecordError {
    let known = match closest_table_file(name) {
        Some(closest) => format!("did you mean {closest}?"),
        None => format!("those are {}", table_file_names()),
    };
    io_error(
        name,
        0,
        format!("not an import file ({known}); rename it, or skip unknown files with --skip-unknown-files"),
    )
}

/// The table file name a few edits away from `name`, ignoring case.
fn closest_table_file(name: &str) -> Option<&'static str> {
    let name = name.to_lowercase();
    Table::ALL
        .into_iter()
        .map(|t| (strsim::levenshtein(&name, t.file_name()), t.file_name()))
        .filter(|&(edits, _)| edits <= MAX_SUGGESTION_EDITS)
        .min()
        .map(|(_, file)| file)
}

#[cfg(test)]
mod tests {
    use super::closest_table_file;

    #[test]
    fn near_names_get_a_suggestion_and_far_ones_none() {
        for (name, expected) in [
            ("feedbacks.csv", Some("feedback.csv")),
            ("Feedback.CSV", Some("feedback.csv")),
            ("customer.csv", Some("customers.csv")),
            ("costumers.csv", Some("customers.csv")),
            ("touch_points.csv", Some("touchpoints.csv")),
            ("order.csv", Some("orders.csv")),
            ("users.csv", None),
            ("sales.csv", None),
            ("data.csv", None),
        ] {
            assert_eq!(closest_table_file(name), expected, "{name}");
        }
    }
}
