//! The CLI side of the result cache: where it lives (`--cache-dir`, `cache-dir` in the config,
//! `.tollgate_cache` by default), opening it for a scan, writing it back, and `tollgate cache clean|dir`.

use crate::config::Config;
use crate::engine::cache_store::{self, DiskCache};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, clap::Subcommand)]
pub enum CacheCommand {
    /// Remove the result cache directory.
    Clean(CacheArgs),
    /// Print the result cache directory.
    Dir(CacheArgs),
}

#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    /// The cache directory [default: .tollgate_cache, or `cache-dir` in the config file].
    #[arg(long, value_name = "DIR", env = "TOLLGATE_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// The cache directory a scan uses: the flag, else the config file's `cache-dir`, else `.tollgate_cache`.
pub fn dir(flag: Option<&Path>, cfg: Option<&Config>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| cfg.and_then(|c| c.cache_dir.clone()))
        .unwrap_or_else(|| PathBuf::from(cache_store::DEFAULT_DIR))
}

/// Open the cache for a scan (`None` with `--no-cache`, or when it cannot be used: said on stderr, and
/// the scan goes on without it).
pub fn open(no_cache: bool, flag: Option<&Path>, cfg: &Config) -> Option<Arc<DiskCache>> {
    if no_cache {
        return None;
    }
    let dir = dir(flag, Some(cfg));
    match DiskCache::open(&dir) {
        Ok(c) => {
            if let Some(p) = &c.load_problem {
                eprintln!("tollgate: warning: the result cache was not used: {p}");
            }
            Some(Arc::new(c))
        }
        Err(e) => {
            eprintln!("tollgate: warning: no result cache ({e}); use --no-cache to silence this");
            None
        }
    }
}

/// Write the cache back after a scan; a failure costs the next scan time, never this one's result.
pub fn persist(cache: Option<&DiskCache>) {
    if let Some(c) = cache {
        if let Err(e) = c.persist() {
            eprintln!("tollgate: warning: cannot write the result cache: {e}");
        }
    }
}

pub fn run(cmd: &CacheCommand) -> anyhow::Result<i32> {
    let (CacheCommand::Clean(a) | CacheCommand::Dir(a)) = cmd;
    let cfg = Config::discover(Path::new("."))?;
    let dir = dir(a.cache_dir.as_deref(), cfg.as_ref());
    match cmd {
        CacheCommand::Dir(_) => println!("{}", dir.display()),
        CacheCommand::Clean(_) => match cache_store::clean(&dir).map_err(anyhow::Error::msg)? {
            true => println!("removed {}", dir.display()),
            false => println!("no cache at {}", dir.display()),
        },
    }
    Ok(0)
}
