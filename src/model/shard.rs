//! `tollgate scan --shard I/N`: a stable split of the files by a hash of their relative path, for CI
//! matrix jobs. Jobs that need the whole tree (SCA pairs manifests with lockfiles, the contract job
//! resolves references between documents) run only in shard 1, over every file. `tollgate sarif merge`
//! puts the shards' SARIF back together.

use crate::finding::JobKind;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// Jobs that must see every file of the tree.
    pub fn whole_tree(job: JobKind) -> bool {
        matches!(job, JobKind::Sca | JobKind::Contract)
    }

    /// Jobs that look at the files of their shard but read other files for context: SAST follows
    /// imports into modules of other shards. They get every file and [`crate::model::ScanContext::shard`],
    /// and analyse only their shard's files, so each finding comes from exactly one shard.
    pub fn context_from_whole_tree(job: JobKind) -> bool {
        matches!(job, JobKind::Sast)
    }

    /// Whether this shard runs a job at all.
    pub fn runs(&self, job: JobKind) -> bool {
        !Self::whole_tree(job) || self.index == 1
    }

    /// Whether a file (path relative to the scan root) belongs to this shard. The same path always lands
    /// in the same shard, on every machine and in every version.
    pub fn keeps(&self, rel: &str) -> bool {
        let h = Sha256::digest(rel.as_bytes());
        let n = u64::from_be_bytes(h[..8].try_into().expect("8 bytes"));
        n % u64::from(self.count.max(1)) == u64::from(self.index.saturating_sub(1))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || format!("invalid shard `{s}` (expected I/N with 1 <= I <= N, e.g. 2/4)");
        let (i, n) = s.trim().split_once('/').ok_or_else(err)?;
        let index: u32 = i.trim().parse().map_err(|_| err())?;
        let count: u32 = n.trim().parse().map_err(|_| err())?;
        if index == 0 || count == 0 || index > count || count > 1024 {
            return Err(err());
        }
        Ok(Shard { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_in_exactly_one_shard() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard { index: i, count: 3 }).collect();
        let mut per = [0usize; 3];
        for i in 0..300 {
            let p = format!("src/mod{i}/file{i}.py");
            let owners: Vec<usize> = (0..3).filter(|&s| shards[s].keeps(&p)).collect();
            assert_eq!(owners.len(), 1, "{p}");
            per[owners[0]] += 1;
        }
        assert!(per.iter().all(|&n| n > 60), "{per:?}");
    }

    #[test]
    fn parse_and_whole_tree_jobs() {
        let s: Shard = "2/4".parse().unwrap();
        assert_eq!(s, Shard { index: 2, count: 4 });
        assert_eq!(s.to_string(), "2/4");
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert!(!s.runs(JobKind::Sca) && !s.runs(JobKind::Contract) && s.runs(JobKind::Sast));
        let one: Shard = "1/4".parse().unwrap();
        assert!(one.runs(JobKind::Sca) && one.runs(JobKind::Secrets));
    }
}
