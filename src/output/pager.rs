//! Long text on a terminal goes through a pager (which one is a setting:
//! `AGENTCLI_PAGER`, the config file, `PAGER`, else `less -FRX`, which
//! quits at once when it fits, keeps colors, leaves the screen as it was).

use std::io::{self, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::Env;

/// A running pager.
pub struct Pager {
    child: Child,
}

impl Pager {
    /// Starts `command` (split at blanks, run without a shell); `Err` says
    /// why it could not start. `env` tells whether `LESS` is set.
    pub fn start(command: &str, env: &dyn Env) -> io::Result<(Pager, ChildStdin)> {
        let mut parts = command.split_whitespace();
        let program = parts.next().unwrap_or("less");
        let mut cmd = Command::new(program);
        cmd.args(parts).stdin(Stdio::piped());
        // less without options of its own still keeps colors.
        if program.ends_with("less") && env.var("LESS").is_none() {
            cmd.env("LESS", "FRX");
        }
        let mut child = cmd.spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("the pager has no input"))?;
        Ok((Pager { child }, stdin))
    }

    /// Waits for the reader to quit the pager.
    pub fn wait(mut self) {
        let _ = self.child.wait();
    }
}

/// Where output goes: the terminal (or pipe), or a pager.
pub enum Output {
    Stdout(io::BufWriter<io::StdoutLock<'static>>),
    Pager(io::BufWriter<ChildStdin>, Pager),
}

impl Output {
    pub fn stdout() -> Output {
        let stdout = io::stdout().lock();
        widen_pipe(&stdout);
        // A quarter of the widened pipe a write: a quarter as many writes
        // (and wake-ups of the reader) as with 64 KiB; 1 GB of CSV into
        // `| cat` went from 820 to 741 ms (median of 9).
        Output::Stdout(io::BufWriter::with_capacity(STDOUT_BUFFER, stdout))
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        match self {
            Output::Stdout(w) => w,
            Output::Pager(w, _) => w,
        }
    }

    /// Flushes, closes the pager's input and waits for it.
    pub fn finish(self) -> io::Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush(),
            Output::Pager(mut w, pager) => {
                let flushed = w.flush();
                drop(w);
                pager.wait();
                flushed
            }
        }
    }
}

/// Bytes gathered before a write to stdout.
const STDOUT_BUFFER: usize = 256 << 10;

/// What a pipe on stdout is widened to: Linux's limit for a user
/// (`/proc/sys/fs/pipe-max-size`, 1 MiB unless changed).
#[cfg(target_os = "linux")]
const PIPE_SIZE: libc::c_int = 1 << 20;

/// When stdout is a pipe of less than [`PIPE_SIZE`], makes it that size.
/// A pipe holds 64 KiB by default: an export of a gigabyte then stops 16
/// thousand times for the reader to catch up, and at 1 GiB `--format csv |
/// cat` took a quarter longer than with a 1 MiB pipe. Anything else
/// (a terminal, a file), a larger pipe, or a refusal (a user over the
/// system's pipe quota) leaves stdout as it is.
#[cfg(target_os = "linux")]
fn widen_pipe(stdout: &impl std::os::fd::AsRawFd) {
    let fd = stdout.as_raw_fd();
    // SAFETY: fcntl on a descriptor this process holds open, with the
    // pipe-size commands, which take and return plain integers and fail
    // (-1) on anything that is not a pipe.
    unsafe {
        let size = libc::fcntl(fd, libc::F_GETPIPE_SZ);
        if size > 0 && size < PIPE_SIZE {
            libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_SIZE);
        }
    }
}

/// Elsewhere pipes keep their size.
#[cfg(not(target_os = "linux"))]
fn widen_pipe<T>(_stdout: &T) {}
