//! Reading an import: a directory of CSV files, or one NDJSON file, streamed record by record so memory
//! stays flat however large the files are.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::transfer::directory::{self, DirectoryFiles};
use crate::transfer::line_breaks::LineBreaks;
use crate::transfer::records::{Location, Record, RecordError, Table};

pub enum Source {
    Directory { dir: PathBuf, files: DirectoryFiles },
    Ndjson(PathBuf),
}

pub type Records = Box<dyn Iterator<Item = Result<Record, RecordError>>>;

pub(super) fn io_error(file: &str, line: u64, message: impl Into<String>) -> RecordError {
    RecordError { location: Location { file: file.to_owned(), line, column: None }, message: message.into() }
}

impl Source {
    /// A directory's CSV files must all be import files, unless `skip_unknown_files`.
    pub fn open(path: &Path, skip_unknown_files: bool) -> Result<Source, Vec<RecordError>> {
        if path.is_dir() {
            let files = directory::scan(path, skip_unknown_files)?;
            Ok(Source::Directory { dir: path.to_owned(), files })
        } else if path.is_file() {
            Ok(Source::Ndjson(path.to_owned()))
        } else {
            Err(vec![io_error(&path.display().to_string(), 0, "no such file or directory")])
        }
    }

    /// The tables this source has records for, parents first.
    pub fn tables(&self) -> Vec<Table> {
        match self {
            Source::Directory { files, .. } => files.tables.clone(),
            Source::Ndjson(_) => Table::ALL.to_vec(),
        }
    }

    /// The files of a directory source.
    pub fn directory_files(&self) -> Option<&DirectoryFiles> {
        match self {
            Source::Directory { files, .. } => Some(files),
            Source::Ndjson(_) => None,
        }
    }

    /// The records of one table, in file order. NDJSON files are read once per table, so a line may
    /// reference a line further down.
    pub fn records(&self, table: Table) -> Result<Records, RecordError> {
        match self {
            Source::Directory { dir, .. } => csv_records(&dir.join(table.file_name()), table),
            Source::Ndjson(path) => ndjson_records(path, table),
        }
    }
}

fn csv_records(path: &Path, table: Table) -> Result<Records, RecordError> {
    let file = table.file_name().to_owned();
    let handle = File::open(path).map_err(|e| io_error(&file, 0, format!("cannot open: {e}")))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(LineBreaks::new(BufReader::new(handle)));
    let header = reader.headers().map_err(|e| io_error(&file, 1, format!("cannot read the header: {e}")))?;
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found != table.columns() {
        return Err(io_error(
            &file,
            1,
            format!("the header must be `{}`, found `{}`", table.columns().join(","), found.join(",")),
        ));
    }
    let mut records = reader.into_records();
    Ok(Box::new(std::iter::from_fn(move || {
        let record = records.next()?;
        let breaks = records.reader_mut().get_mut();
        Some(match record {
            Err(e) => {
                let line = e.position().map_or(0, |p| breaks.line_of(p));
                Err(csv_error(&file, line, table, &e))
            }
            Ok(record) => {
                let line = record.position().map_or(0, |p| breaks.line_of(p));
                let cells = record.iter().map(|cell| Some(cell.to_owned()).filter(|c| !c.trim().is_empty())).collect();
                Ok(Record { table, file: file.clone(), line, cells })
            }
        })
    })))
}

/// A CSV error in the import's terms (the csv crate's own message names a line of its own counting).
fn csv_error(file: &str, line: u64, table: Table, error: &csv::Error) -> RecordError {
    let (column, message) = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            (None, format!("malformed CSV: {len} fields, the header has {expected_len}"))
        }
        csv::ErrorKind::Utf8 { err, .. } => {
            (table.columns().get(err.field()).map(|c| (*c).to_owned()), "not UTF-8 text".to_owned())
        }
        csv::ErrorKind::Io(e) => (None, format!("cannot read: {e}")),
        _ => (None, format!("malformed CSV: {error}")),
    };
    RecordError { location: Location { file: file.to_owned(), line, column }, message }
}

fn ndjson_records(path: &Path, table: Table) -> Result<Records, RecordError> {
    let file = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    let handle = File::open(path).map_err(|e| io_error(&file, 0, format!("cannot open: {e}")))?;
    let lines = BufReader::new(handle).lines().enumerate();
    Ok(Box::new(lines.filter_map(move |(index, line)| {
        let line_number = index as u64 + 1;
        let text = match line {
            Ok(text) => text,
            Err(e) => return Some(Err(io_error(&file, line_number, format!("cannot read: {e}")))),
        };
        if text.trim().is_empty() {
            return None;
        }
        ndjson_record(&file, line_number, &text, table).transpose()
    })))
}

/// The record of one NDJSON line if it is of `table`'s type. Lines of other types are for other passes;
/// the customers pass also rejects lines of no known type, so every line is checked once.
fn ndjson_record(file: &str, line: u64, text: &str, table: Table) -> Result<Option<Record>, RecordError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| io_error(file, line, format!("not JSON: {e}")))?;
    let object = value.as_object().ok_or_else(|| io_error(file, line, "not a JSON object"))?;
    let kind = object.get("type").and_then(|t| t.as_str()).unwrap_or_default();
    let Some(of_table) = Table::ALL.into_iter().find(|t| t.record_type() == kind) else {
        if table == Table::Customers {
            let types = Table::ALL.map(Table::record_type);
            let (last, others) = types.split_last().unwrap_or((&"", &[]));
            let known = format!("{} or {last}", others.join(", "));
            return Err(io_error(file, line, format!("`type` must be {known}, not '{kind}'")));
        }
        return Ok(None);
    };
    if of_table != table {
        return Ok(None);
    }
    if let Some(unknown) = object.keys().find(|k| *k != "type" && !table.columns().contains(&k.as_str())) {
        return Err(RecordError {
            location: Location { file: file.to_owned(), line, column: Some(unknown.clone()) },
            message: format!("unknown field for a {kind}"),
        });
    }
    let cells = table
        .columns()
        .iter()
        .map(|column| match object.get(*column) {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.clone()).filter(|s| !s.trim().is_empty()),
            Some(other) => Some(other.to_string()),
        })
        .collect();
    Ok(Some(Record { table, file: file.to_owned(), line, cells }))
}
