//! Physical line numbers of CSV records.
//!
//! The csv crate gives a record the line at which the previous record ended. A CRLF record ends at its `\r`
//! (the `\n` is read with the next record), and blank lines are skipped as part of the next record, so its
//! line is short by the line breaks between the two records. `LineBreaks` notes where the line breaks are
//! in the bytes it reads, so the line breaks at the start of a record can be added back.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A reader that notes the offsets of the `\r` and `\n` bytes it hands out, until the parser has passed them.
pub struct LineBreaks<R> {
    inner: R,
    /// Offset of the next byte read.
    offset: u64,
    /// Offsets of line-break bytes read, each with whether it is a `\n` (what ends a line); at most those of
    /// the parser's read-ahead buffer and the record being parsed.
    breaks: VecDeque<(u64, bool)>,
}

impl<R> LineBreaks<R> {
    pub fn new(inner: R) -> Self {
        LineBreaks { inner, offset: 0, breaks: VecDeque::new() }
    }

    /// The physical line of the record the csv crate places at `position` (its line and byte offset). Calls
    /// go in file order.
    pub fn line_of(&mut self, position: &csv::Position) -> u64 {
        let start = position.byte();
        while self.breaks.front().is_some_and(|&(at, _)| at < start) {
            self.breaks.pop_front();
        }
        let newlines_before_record = self
            .breaks
            .iter()
            .zip(start..)
            .take_while(|&(&(at, _), expected)| at == expected)
            .filter(|&(&(_, newline), _)| newline)
            .count();
        position.line() + newlines_before_record as u64
    }
}

impl<R: Read> Read for LineBreaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        for index in memchr::memchr2_iter(b'\r', b'\n', read) {
            self.breaks.push_back((self.offset + index as u64, read[index] == b'\n'));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::LineBreaks;

    /// The physical line of each record of `text` (after its header), and of each CSV error.
    fn lines(text: &str, buffer: usize) -> Vec<Result<u64, u64>> {
        let mut reader =
            csv::ReaderBuilder::new().buffer_capacity(buffer).from_reader(LineBreaks::new(text.as_bytes()));
        reader.headers().unwrap();
        let mut records = reader.into_records();
        let mut found = Vec::new();
        while let Some(record) = records.next() {
            let breaks = records.reader_mut().get_mut();
            found.push(match record {
                Ok(record) => Ok(breaks.line_of(record.position().unwrap())),
                Err(e) => Err(breaks.line_of(e.position().unwrap())),
            });
        }
        found
    }

    fn each_buffer(text: &str, expected: &[Result<u64, u64>]) {
        // A small buffer puts the parser's reads across line breaks and records.
        for buffer in [1, 2, 3, 5, 8 * 1024] {
            assert_eq!(lines(text, buffer), expected, "buffer {buffer}: {text:?}");
        }
    }

    #[test]
    fn lf_and_crlf_lines() {
        each_buffer("a,b\n1,2\n3,4\n", &[Ok(2), Ok(3)]);
        each_buffer("a,b\r\n1,2\r\n3,4\r\n", &[Ok(2), Ok(3)]);
        each_buffer("a,b\r\n1,2\r\n3,4", &[Ok(2), Ok(3)]);
    }

    #[test]
    fn quoted_line_breaks_and_blank_lines_count() {
        each_buffer("a,b\n\"x\ny\n\",2\n3,4\n", &[Ok(2), Ok(5)]);
        each_buffer("a,b\r\n\"x\r\ny\",2\r\n3,4\r\n", &[Ok(2), Ok(4)]);
        each_buffer("a,b\n\n1,2\n\n\n3,4", &[Ok(3), Ok(6)]);
        each_buffer("a,b\r\n\r\n1,2\r\n\r\n3,4\r\n", &[Ok(3), Ok(5)]);
    }

    #[test]
    fn csv_errors_have_their_line() {
        each_buffer("a,b\r\n1,2\r\n3\r\n5,6\r\n", &[Ok(2), Err(3), Ok(4)]);
        each_buffer("a,b\n\"x\ny\",2\n3\n", &[Ok(2), Err(4)]);
    }
}
