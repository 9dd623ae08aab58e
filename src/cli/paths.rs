//! `tollgate scan FILE FILE...` (what pre-commit passes: the staged files): the files are copied, at their
//! paths relative to the current directory, into a private scratch directory that is scanned as a tree and
//! removed afterwards, so findings keep the paths the user gave and nothing else of the tree is read.

use anyhow::{bail, Context};
use std::path::{Component, Path, PathBuf};

/// The scratch tree; removed on drop.
pub struct Staged {
    pub dir: PathBuf,
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `path` relative to the current directory, with only normal components.
fn relative(cwd: &Path, path: &Path) -> anyhow::Result<PathBuf> {
    let plain = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if plain && path.is_relative() {
        return Ok(path
            .components()
            .filter(|c| !matches!(c, Component::CurDir))
            .collect());
    }
    let abs =
        std::fs::canonicalize(path).with_context(|| format!("cannot scan {}", path.display()))?;
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    match abs.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => Ok(rel.to_path_buf()),
        _ => bail!(
            "cannot scan {} with other paths: give paths inside the current directory",
            path.display()
        ),
    }
}

/// Copy the files into a scratch tree.
pub fn stage(paths: &[PathBuf]) -> anyhow::Result<Staged> {
    let cwd = std::env::current_dir().context("no current directory")?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let staged = Staged {
        dir: std::env::temp_dir().join(format!("tollgate-files-{}-{nanos}", std::process::id())),
    };
    std::fs::create_dir_all(&staged.dir)
        .with_context(|| format!("cannot create {}", staged.dir.display()))?;
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("cannot scan {}", p.display()))?;
        if meta.is_dir() {
            bail!(
                "{}: with several paths, each must be a file (scan a directory on its own, or use --exclude)",
                p.display()
            );
        }
        let rel = relative(&cwd, p)?;
        let dest = staged.dir.join(&rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::copy(p, &dest).with_context(|| format!("cannot read {}", p.display()))?;
    }
    Ok(staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_as_given_and_outside_ones_are_refused() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            relative(&cwd, Path::new("./src/a.py")).unwrap(),
            PathBuf::from("src/a.py")
        );
        assert_eq!(
            relative(&cwd, &cwd.join("Cargo.toml")).unwrap(),
            PathBuf::from("Cargo.toml")
        );
        assert!(relative(&cwd, Path::new("/")).is_err());
    }
}
