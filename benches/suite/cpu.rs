//! CPU used over an interval, as cores: the user + system time `/proc/PID/stat` counts (in clock ticks)
//! divided by the ticks per second and the wall time. Linux only, like the rest of the suite.

use std::collections::HashMap;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// `(ppid, comm, utime + stime)` of a process; `None` once it is gone.
fn stat(pid: u32) -> Option<(u32, String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself hold spaces or parentheses: fields follow the last `)`.
    let (head, tail) = text.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    let fields: Vec<&str> = tail.split_whitespace().collect();
    // `fields[0]` is field 3 of proc(5), the state: ppid is field 4, utime and stime fields 14 and 15.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some((fields.get(1)?.parse().ok()?, comm, ticks))
}

fn ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        let output = Command::new("getconf").arg("CLK_TCK").output().expect("run getconf CLK_TCK");
        String::from_utf8_lossy(&output.stdout).trim().parse().expect("getconf CLK_TCK prints a number")
    })
}

/// The postmaster that started `backend` (a server process of a connection), if both run on this machine.
pub fn postmaster_of(backend: u32) -> Option<u32> {
    let (postmaster, comm, _) = stat(backend)?;
    (comm == "postgres" && stat(postmaster)?.1 == "postgres").then_some(postmaster)
}

#[derive(Clone, Copy)]
pub enum Watch {
    Process(u32),
    /// A PostgreSQL cluster: its postmaster and the `postgres` processes it started (backends, background
    /// workers), not other clusters on the machine.
    Postgres {
        postmaster: u32,
    },
}

impl Watch {
    fn ticks(self) -> HashMap<u32, u64> {
        match self {
            Watch::Process(pid) => stat(pid).map(|(_, _, ticks)| (pid, ticks)).into_iter().collect(),
            Watch::Postgres { postmaster } => std::fs::read_dir("/proc")
                .expect("read /proc")
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
                .filter_map(|pid| Some((pid, stat(pid)?)))
                .filter(|(pid, (ppid, comm, _))| comm == "postgres" && (*pid == postmaster || *ppid == postmaster))
                .map(|(pid, (_, _, ticks))| (pid, ticks))
                .collect(),
        }
    }
}

pub struct Meter {
    watch: Watch,
    started: Instant,
    before: HashMap<u32, u64>,
}

impl Meter {
    pub fn start(watch: Watch) -> Meter {
        Meter { watch, started: Instant::now(), before: watch.ticks() }
    }

    /// Cores used since `start`. A process started since counts from zero; one that ended since is
    /// missed: busy pooled connections outlive a load run, and one closed for idleness used next to
    /// nothing in it.
    pub fn cores(&self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        let used: u64 = self
            .watch
            .ticks()
            .iter()
            .map(|(pid, ticks)| ticks.saturating_sub(self.before.get(pid).copied().unwrap_or(0)))
            .sum();
        used as f64 / ticks_per_second() / seconds
    }
}
