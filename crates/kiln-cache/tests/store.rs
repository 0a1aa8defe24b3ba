//! The disk store's safety properties, each on its own temporary directory.

use kiln_cache::{CacheError, DiskCache, Key, bundle, trust};
use std::fs;
use std::os::unix::fs::PermissionsExt;

fn key(n: u8) -> Key {
    Key([n; 32])
}

fn open(dir: &std::path::Path) -> DiskCache {
    DiskCache::open(dir, 1 << 20).expect("open cache")
}

#[test]
fn put_then_get_and_directory_is_private() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("a/b/cache");
    let c = open(&root);
    assert!(c.get(&key(1)).is_none());
    c.put(&key(1), "k1", b"code one").unwrap();
    let e = c.get(&key(1)).unwrap();
    assert_eq!(
        (e.label.as_str(), e.payload.as_slice()),
        ("k1", &b"code one"[..])
    );
    let mode = fs::metadata(&root).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let s = c.stats();
    assert_eq!((s.hits, s.misses, s.writes), (1, 1, 1));
    // Nothing but the entry is left in the directory (the temporary file was renamed).
    let names: Vec<_> = fs::read_dir(root.join("kernels"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn truncated_corrupt_and_other_version_entries_are_misses_and_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let c = open(tmp.path());
    for damage in 0..4 {
        c.put(&key(2), "k2", &[0xab; 100]).unwrap();
        let path = c.path_of(&key(2));
        let mut bytes = fs::read(&path).unwrap();
        match damage {
            0 => bytes.truncate(bytes.len() - 1),
            1 => bytes.truncate(10),
            2 => *bytes.last_mut().unwrap() ^= 1,
            // The format version field follows the 8-byte magic.
            _ => bytes[8] = bytes[8].wrapping_add(1),
        }
        fs::write(&path, &bytes).unwrap();
        assert!(c.get(&key(2)).is_none(), "damage {damage} accepted");
        assert!(!path.exists(), "damaged entry {damage} left in place");
    }
    assert_eq!(c.stats().corrupt, 4);
    // An entry renamed to another key's file is refused too.
    c.put(&key(3), "k3", b"x").unwrap();
    fs::rename(c.path_of(&key(3)), c.path_of(&key(4))).unwrap();
    assert!(c.get(&key(4)).is_none());
}

#[test]
fn entries_of_another_user_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let me = trust::current_uid();
    let c = open(tmp.path());
    c.put(&key(5), "k5", b"planted").unwrap();
    // Simulated: the same files seen by a cache that expects another owner.
    let other = me.wrapping_add(4242);
    // The directory itself belongs to `me`, so opening as `other` is refused outright.
    assert!(matches!(
        DiskCache::open_as(tmp.path(), 1 << 20, other),
        Err(CacheError::NotTrusted { .. })
    ));
    // A real foreign entry, when this test may chown (as root): planted, then refused and kept.
    let path = c.path_of(&key(5));
    if std::os::unix::fs::chown(&path, Some(other), None).is_ok() {
        assert!(c.get(&key(5)).is_none());
        assert_eq!(c.stats().refused, 1);
        assert!(path.exists(), "another user's file must not be touched");
    }
    // Group- or world-writable entries are refused whoever owns them.
    c.put(&key(6), "k6", b"x").unwrap();
    fs::set_permissions(c.path_of(&key(6)), fs::Permissions::from_mode(0o666)).unwrap();
    assert!(c.get(&key(6)).is_none());
    assert!(c.stats().refused >= 1);
}

#[test]
fn a_world_writable_cache_directory_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o777)).unwrap();
    assert!(matches!(
        DiskCache::open(tmp.path(), 1 << 20),
        Err(CacheError::NotTrusted { .. })
    ));
}

#[test]
fn symlinked_entries_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let c = open(tmp.path());
    c.put(&key(7), "k7", b"real").unwrap();
    let real = c.path_of(&key(7));
    std::os::unix::fs::symlink(&real, c.path_of(&key(8))).unwrap();
    assert!(c.get(&key(8)).is_none());
}

#[test]
fn failed_writes_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let c = open(tmp.path());
    let kernels = tmp.path().join("kernels");
    fs::set_permissions(&kernels, fs::Permissions::from_mode(0o500)).unwrap();
    let read_only_refused = c.put(&key(9), "k9", b"x").is_err();
    fs::set_permissions(&kernels, fs::Permissions::from_mode(0o700)).unwrap();
    // Root ignores permission bits, so the read-only case can only be checked as another user.
    if trust::current_uid() != 0 {
        assert!(read_only_refused);
    }
    // Unwritable for everyone: the entries directory replaced by a file.
    fs::remove_dir_all(&kernels).unwrap();
    fs::write(&kernels, b"not a directory").unwrap();
    assert!(c.put(&key(10), "k10", b"x").is_err());
    assert!(c.get(&key(10)).is_none());
    assert!(c.stats().write_errors >= 1);
}

#[test]
fn a_tiny_bound_prunes_least_recently_used() {
    let tmp = tempfile::tempdir().unwrap();
    let c = DiskCache::open(tmp.path(), 3000).unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(100);
    for n in 0..3u8 {
        c.put(&key(n), "k", &[n; 800]).unwrap();
        // Distinct, ordered modification times without sleeping.
        let f = fs::File::options()
            .write(true)
            .open(c.path_of(&key(n)))
            .unwrap();
        f.set_modified(old + std::time::Duration::from_secs(u64::from(n)))
            .unwrap();
    }
    // A hit on the oldest makes it the most recently used.
    assert!(c.get(&key(0)).is_some());
    c.put(&key(3), "k", &[3; 800]).unwrap();
    let left: Vec<Key> = c.list().unwrap().iter().map(|e| e.key).collect();
    let total: u64 = c.list().unwrap().iter().map(|e| e.bytes).sum();
    assert!(total <= 3000 / 4 * 3, "{total} bytes left");
    assert!(left.contains(&key(3)) && left.contains(&key(0)), "{left:?}");
    assert!(!left.contains(&key(1)));
    assert!(c.stats().pruned >= 1);
}

#[test]
fn bundles_round_trip_and_reject_damage() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let ca = open(a.path());
    ca.put(&key(11), "k11", b"eleven").unwrap();
    ca.put(&key(12), "k12", b"twelve").unwrap();
    let record = a.path().join("used.txt");
    bundle::record(&record, &key(12), "k12").unwrap();
    bundle::record(&record, &key(12), "k12").unwrap();
    let keys = bundle::read_record(&record).unwrap();
    assert_eq!(keys, vec![key(12)]);
    let path = a.path().join("b.kbundle");
    assert_eq!(bundle::export(&ca, Some(&keys), &path).unwrap(), 1);
    let cb = open(b.path());
    assert_eq!(bundle::import(&cb, &path).unwrap(), vec![key(12)]);
    assert_eq!(cb.get(&key(12)).unwrap().payload, b"twelve");
    assert!(cb.get(&key(11)).is_none());
    // A missing key cannot be exported; a damaged bundle imports nothing.
    assert!(bundle::export(&ca, Some(&[key(99)]), &path).is_err());
    bundle::export(&ca, None, &path).unwrap();
    let mut bytes = fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    fs::write(&path, &bytes).unwrap();
    let cc_dir = tempfile::tempdir().unwrap();
    let cc = open(cc_dir.path());
    assert!(bundle::import(&cc, &path).is_err());
    assert!(cc.list().unwrap().is_empty());
}
