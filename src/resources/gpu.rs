//! GPU memory per device: NVML first, `nvidia-smi` when NVML cannot be loaded, and
//! otherwise "no GPU found", which is a normal answer and never an error.
//!
//! Nothing here panics or prints: a missing library or binary becomes a short note.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nvml_wrapper::error::NvmlError;
use nvml_wrapper::Nvml;
use serde::Serialize;

/// The soname the NVIDIA driver installs. nvml-wrapper's default has varied between
/// versions (`libnvidia-ml.so` needs the -dev package), so it is named explicitly.
pub const NVML_LIB: &str = "libnvidia-ml.so.1";

/// A stuck driver can make `nvidia-smi` hang; a status read must not.
pub const NVIDIA_SMI_TIMEOUT: Duration = Duration::from_secs(3);

/// The fields asked of `nvidia-smi`: memory in MiB, without units or a header.
const SMI_ARGS: [&str; 2] = [
    "--query-gpu=index,name,memory.total,memory.used",
    "--format=csv,noheader,nounits",
];

const MIB: u64 = 1024 * 1024;

/// Where the figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GpuSource {
    #[serde(rename = "nvml")]
    Nvml,
    #[serde(rename = "nvidia-smi")]
    NvidiaSmi,
    /// No GPU could be read; `devices` is then empty.
    #[serde(rename = "none")]
    None,
}

impl GpuSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GpuSource::Nvml => "nvml",
            GpuSource::NvidiaSmi => "nvidia-smi",
            GpuSource::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuDevice {
    pub index: u32,
    pub name: Option<String>,
    pub total_bytes: u64,
    pub used_bytes: u64,
}

impl GpuDevice {
    pub fn free_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.used_bytes)
    }
}

/// Every GPU's memory, read at one moment. `source` is `None` exactly when `devices` is
/// empty; `note` then says why (and after a fallback, why the better source failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuStatus {
    pub source: GpuSource,
    pub devices: Vec<GpuDevice>,
    pub note: Option<String>,
}

impl GpuStatus {
    pub fn none(note: impl Into<String>) -> Self {
        Self {
            source: GpuSource::None,
            devices: Vec::new(),
            note: Some(note.into()),
        }
    }

    /// Free memory summed over every device.
    pub fn free_bytes(&self) -> u64 {
        self.devices.iter().map(GpuDevice::free_bytes).sum()
    }

    pub fn total_bytes(&self) -> u64 {
        self.devices.iter().map(|d| d.total_bytes).sum()
    }
}

enum NvmlState {
    Untried,
    /// Boxed: NVML's function table is about 12 KB, and the sampler moves between threads.
    Ready(Box<Nvml>),
    /// Loading failed once; the reason is kept rather than retrying `dlopen` every period.
    Failed(String),
}

/// Reads GPU memory repeatedly, keeping the NVML handle between reads (initialising NVML
/// costs far more than a read).
pub struct GpuSampler {
    nvml: NvmlState,
    smi: PathBuf,
    /// `nvidia-smi` is not installed: not worth spawning again every period.
    smi_missing: bool,
}

impl Default for GpuSampler {
    fn default() -> Self {
        Self::new()
    }
}

impl GpuSampler {
    pub fn new() -> Self {
        Self::with_nvidia_smi("nvidia-smi")
    }

    /// A sampler that runs this `nvidia-smi` (a path or a name looked up in `PATH`).
    pub fn with_nvidia_smi(smi: impl Into<PathBuf>) -> Self {
        Self {
            nvml: NvmlState::Untried,
            smi: smi.into(),
            smi_missing: false,
        }
    }

    /// Blocks for at most about [`NVIDIA_SMI_TIMEOUT`]; call it off the async threads.
    pub fn read(&mut self) -> GpuStatus {
        let nvml_why = match self.read_nvml() {
            Ok(devices) if !devices.is_empty() => {
                return GpuStatus {
                    source: GpuSource::Nvml,
                    devices,
                    note: None,
                }
            }
            Ok(_) => "NVML sees no device".to_owned(),
            Err(why) => why,
        };
        match self.read_smi() {
            Ok(devices) => GpuStatus {
                source: GpuSource::NvidiaSmi,
                devices,
                note: Some(format!("read with nvidia-smi; NVML: {nvml_why}")),
            },
            Err(smi_why) => GpuStatus::none(format!(
                "NVML and nvidia-smi unavailable: {nvml_why}; {smi_why}"
            )),
        }
    }

    fn read_nvml(&mut self) -> Result<Vec<GpuDevice>, String> {
        if let NvmlState::Untried = self.nvml {
            self.nvml = match Nvml::builder().lib_path(OsStr::new(NVML_LIB)).init() {
                Ok(n) => NvmlState::Ready(Box::new(n)),
                Err(e) => NvmlState::Failed(describe_nvml(&e)),
            };
        }
        match &self.nvml {
            NvmlState::Ready(n) => nvml_devices(n).map_err(|e| describe_nvml(&e)),
            NvmlState::Failed(why) => Err(why.clone()),
            NvmlState::Untried => Err("NVML not initialised".to_owned()),
        }
    }

    fn read_smi(&mut self) -> Result<Vec<GpuDevice>, String> {
        if self.smi_missing {
            return Err("nvidia-smi not found".to_owned());
        }
        let out = run_with_timeout(&self.smi, &SMI_ARGS, NVIDIA_SMI_TIMEOUT);
        if matches!(out, Err(SmiError::NotFound)) {
            self.smi_missing = true;
        }
        let text = out.map_err(|e| e.to_string())?;
        let devices = parse_nvidia_smi(&text);
        if devices.is_empty() {
            return Err("nvidia-smi listed no GPU with readable memory".to_owned());
        }
        Ok(devices)
    }
}

fn nvml_devices(nvml: &Nvml) -> Result<Vec<GpuDevice>, NvmlError> {
    let count = nvml.device_count()?;
    (0..count)
        .map(|index| {
            let device = nvml.device_by_index(index)?;
            let mem = device.memory_info()?;
            Ok(GpuDevice {
                index,
                name: device.name().ok().filter(|n| !n.trim().is_empty()),
                total_bytes: mem.total,
                // NVML's `used` leaves out what the driver reserves; counting that as used
                // makes `free_bytes()` agree with NVML's own `free`.
                used_bytes: mem.total.saturating_sub(mem.free),
            })
        })
        .collect()
}

/// A short reason, phrased for a status line rather than a backtrace.
fn describe_nvml(e: &NvmlError) -> String {
    match e {
        NvmlError::LibloadingError(_) => format!("{NVML_LIB} not found"),
        NvmlError::DriverNotLoaded => "the NVIDIA driver is not loaded".to_owned(),
        NvmlError::NoPermission => "no permission to query the GPU".to_owned(),
        NvmlError::FailedToLoadSymbol(s) => format!("the driver's NVML is too old ({s})"),
        other => format!("NVML failed: {other}"),
    }
}

/// Parses `nvidia-smi --query-gpu=index,name,memory.total,memory.used
/// --format=csv,noheader,nounits` (memory in MiB) into devices in bytes. Lines that do not
/// parse — blank, `[N/A]`, `[Not Supported]`, an error message — are skipped.
pub fn parse_nvidia_smi(text: &str) -> Vec<GpuDevice> {
    text.lines().filter_map(parse_smi_line).collect()
}

fn parse_smi_line(line: &str) -> Option<GpuDevice> {
    // Split from the right: the two memory figures are last, and a name may hold a comma.
    let mut right = line.trim().rsplitn(3, ',');
    let used = parse_mib(right.next()?)?;
    let total = parse_mib(right.next()?)?;
    let (index, name) = right.next()?.split_once(',')?;
    let name = name.trim();
    Some(GpuDevice {
        index: index.trim().parse().ok()?,
        name: (!name.is_empty() && !name.starts_with('[')).then(|| name.to_owned()),
        total_bytes: total,
        used_bytes: used,
    })
}

fn parse_mib(field: &str) -> Option<u64> {
    field.trim().parse::<u64>().ok()?.checked_mul(MIB)
}

#[derive(Debug, PartialEq, Eq)]
enum SmiError {
    NotFound,
    TimedOut(Duration),
    Failed(String),
}

impl std::fmt::Display for SmiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmiError::NotFound => f.write_str("nvidia-smi not found"),
            SmiError::TimedOut(d) => {
                write!(f, "nvidia-smi did not answer within {} s", d.as_secs_f64())
            }
            SmiError::Failed(why) => write!(f, "nvidia-smi failed ({why})"),
        }
    }
}

/// Runs `program` and returns its stdout, killing it if it outlives `timeout`. Its stderr
/// is discarded: a missing driver makes nvidia-smi complain, and that is not our output.
fn run_with_timeout(program: &Path, args: &[&str], timeout: Duration) -> Result<String, SmiError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SmiError::NotFound,
            _ => SmiError::Failed(e.to_string()),
        })?;
    let deadline = Instant::now() + timeout;
    // A reader thread drains the pipe so a chatty child never blocks on a full one.
    let (tx, rx) = mpsc::channel();
    if let Some(mut stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stdout.read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
    }
    let status = wait_until(&mut child, deadline).ok_or(SmiError::TimedOut(timeout))?;
    let left = deadline.saturating_duration_since(Instant::now());
    let out = rx
        .recv_timeout(left.max(Duration::from_millis(100)))
        .unwrap_or_default();
    if !status.success() {
        return Err(SmiError::Failed(status.to_string()));
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Waits for the child until `deadline`; past it, kills and reaps it and returns `None`.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<std::process::ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            // Timed out, or the wait itself failed: either way, do not leave it running.
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(index: u32, name: Option<&str>, total_mib: u64, used_mib: u64) -> GpuDevice {
        GpuDevice {
            index,
            name: name.map(str::to_owned),
            total_bytes: total_mib * MIB,
            used_bytes: used_mib * MIB,
        }
    }

    #[test]
    fn parses_several_gpus_and_converts_mib_to_bytes() {
        let text = "0, NVIDIA GeForce RTX 4090, 24564, 10445\n1, NVIDIA RTX A2000, 6138, 0\n";
        assert_eq!(
            parse_nvidia_smi(text),
            vec![
                dev(0, Some("NVIDIA GeForce RTX 4090"), 24564, 10445),
                dev(1, Some("NVIDIA RTX A2000"), 6138, 0),
            ]
        );
        assert_eq!(
            parse_nvidia_smi(text)[0].free_bytes(),
            (24564 - 10445) * MIB
        );
    }

    #[test]
    fn skips_blank_lines_na_fields_and_garbage() {
        let text = "\n  \n0, Tesla T4, 15360, 1024\r\n\
                    1, Jetson, [N/A], [N/A]\n\
                    2, [N/A], 8192, 512\n\
                    NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n\
                    x, y, 1, 2\n, , ,\n3, GPU, -5, 1\n";
        assert_eq!(
            parse_nvidia_smi(text),
            vec![
                dev(0, Some("Tesla T4"), 15360, 1024),
                dev(2, None, 8192, 512)
            ]
        );
        assert!(parse_nvidia_smi("").is_empty());
        assert!(parse_nvidia_smi("No devices were found").is_empty());
    }

    #[test]
    fn a_comma_in_the_name_is_kept() {
        let got = parse_nvidia_smi("0, Odd, Name, 100, 40");
        assert_eq!(got, vec![dev(0, Some("Odd, Name"), 100, 40)]);
    }

    #[test]
    fn absurd_sizes_do_not_overflow() {
        assert!(parse_nvidia_smi(&format!("0, X, {}, 1", u64::MAX)).is_empty());
    }

    #[test]
    fn free_memory_never_underflows() {
        let d = dev(0, None, 1, 2);
        assert_eq!(d.free_bytes(), 0);
        let s = GpuStatus {
            source: GpuSource::NvidiaSmi,
            devices: vec![dev(0, None, 10, 4), dev(1, None, 6, 1)],
            note: None,
        };
        assert_eq!(s.free_bytes(), 11 * MIB);
        assert_eq!(s.total_bytes(), 16 * MIB);
    }

    #[test]
    fn the_source_serialises_as_the_documented_strings() {
        let s = serde_json::to_value(GpuStatus::none("x")).unwrap();
        assert_eq!(s["source"], "none");
        assert_eq!(
            serde_json::to_value(GpuSource::NvidiaSmi).unwrap(),
            "nvidia-smi"
        );
        assert_eq!(serde_json::to_value(GpuSource::Nvml).unwrap(), "nvml");
    }

    /// A shell script run through `sh`, rather than executed directly: writing an
    /// executable while other test threads fork can fail with "text file busy".
    fn script(dir: &Path, body: &str) -> (PathBuf, Vec<String>) {
        let path = dir.join("fake-nvidia-smi");
        std::fs::write(&path, format!("{body}\n")).unwrap();
        (PathBuf::from("sh"), vec![path.display().to_string()])
    }

    fn run(cmd: &(PathBuf, Vec<String>), timeout: Duration) -> Result<String, SmiError> {
        let args: Vec<&str> = cmd.1.iter().map(String::as_str).collect();
        run_with_timeout(&cmd.0, &args, timeout)
    }

    #[test]
    fn a_missing_binary_is_not_found_and_not_retried() {
        let mut s = GpuSampler::with_nvidia_smi("/nonexistent/nvidia-smi-for-tests");
        assert_eq!(s.read_smi().unwrap_err(), "nvidia-smi not found");
        assert!(s.smi_missing);
        assert_eq!(s.read_smi().unwrap_err(), "nvidia-smi not found");
    }

    #[test]
    fn a_fake_nvidia_smi_is_read_and_its_stderr_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let smi = script(
            dir.path(),
            "echo 'warning: noise' >&2\necho '0, Fake GPU, 2048, 1024'",
        );
        let out = run(&smi, NVIDIA_SMI_TIMEOUT).unwrap();
        assert_eq!(
            parse_nvidia_smi(&out),
            vec![dev(0, Some("Fake GPU"), 2048, 1024)]
        );
    }

    #[test]
    fn a_failing_nvidia_smi_is_reported_not_parsed() {
        let dir = tempfile::tempdir().unwrap();
        let smi = script(dir.path(), "echo '0, Fake GPU, 2048, 1024'\nexit 9");
        let got = run(&smi, NVIDIA_SMI_TIMEOUT);
        assert!(matches!(got, Err(SmiError::Failed(_))), "{got:?}");
    }

    #[test]
    fn a_hanging_nvidia_smi_is_killed_at_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let smi = script(dir.path(), "exec sleep 30");
        let start = Instant::now();
        let got = run(&smi, Duration::from_millis(300));
        assert_eq!(got, Err(SmiError::TimedOut(Duration::from_millis(300))));
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn reading_never_panics_and_keeps_source_and_devices_consistent() {
        let mut s = GpuSampler::new();
        for _ in 0..2 {
            let g = s.read();
            assert_eq!(g.source == GpuSource::None, g.devices.is_empty(), "{g:?}");
            if g.source == GpuSource::None {
                assert!(g.note.is_some());
            }
        }
    }
}
