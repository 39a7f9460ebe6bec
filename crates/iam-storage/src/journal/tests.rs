//! The journal: replay into a database that lost its unsynced writes, rotation, torn tails.

use super::*;
use rocksdb::IteratorMode;

fn db(dir: &Path) -> Arc<DB> {
    Arc::new(DB::open_default(dir).unwrap())
}

/// A journal of files of `capacity` bytes in a new directory, beside a new database.
fn fresh(capacity: u64) -> (tempfile::TempDir, PathBuf, Arc<DB>, Journal) {
    let dir = tempfile::tempdir().unwrap();
    let jdir = dir.path().join("journal");
    let live = db(&dir.path().join("db"));
    let journal = Journal::open_with_capacity(&jdir, &live, capacity).unwrap();
    (dir, jdir, live, journal)
}

/// Every record at the start of `bytes`, as replay reads them.
fn records(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut r = Records::new(bytes, bytes.len() as u64);
    std::iter::from_fn(|| r.next_record().unwrap()).collect()
}

fn put(key: &str, value: &str) -> WriteBatch {
    let mut b = WriteBatch::default();
    b.put(key, value);
    b
}

fn contents(db: &DB) -> Vec<(String, String)> {
    db.iterator(IteratorMode::Start)
        .map(|kv| {
            let (k, v) = kv.unwrap();
            (
                String::from_utf8(k.to_vec()).unwrap(),
                String::from_utf8(v.to_vec()).unwrap(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The journal's files as a crash would leave them, beside an empty database (RocksDB lost
/// every unsynced write): opening replays them.
fn reopen_beside_empty_db(journal: &Path, at: &Path) -> Arc<DB> {
    let copy = at.join("journal");
    std::fs::create_dir_all(&copy).unwrap();
    for item in std::fs::read_dir(journal).unwrap() {
        let item = item.unwrap();
        match std::fs::copy(item.path(), copy.join(item.file_name())) {
            Ok(_) => {}
            // Retired by the journal's thread since it was listed: its records are in
            // RocksDB's synced WAL (a crash keeps them), so a crash's copy may lack it. A
            // file the test's records needed would show in the assertions that follow.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("copy {}: {e}", item.path().display()),
        }
    }
    let fresh = db(&at.join("db"));
    Journal::open(&copy, &fresh).unwrap();
    fresh
}

#[test]
fn replay_restores_every_write_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let live = db(&dir.path().join("db"));
    let journal = Journal::open(&dir.path().join("journal"), &live).unwrap();
    journal.write(&live, put("a", "1")).unwrap();
    journal.write(&live, put("b", "2")).unwrap();
    let mut truncate = WriteBatch::default();
    truncate.delete_range(&b"b"[..], &b"z"[..]);
    truncate.put("a", "3");
    journal.write_durably(&live, truncate).unwrap();
    journal.write(&live, put("c", "4")).unwrap();
    journal.sync().unwrap();
    let expected = pairs(&[("a", "3"), ("c", "4")]);
    assert_eq!(contents(&live), expected);

    let other = tempfile::tempdir().unwrap();
    let recovered = reopen_beside_empty_db(&dir.path().join("journal"), other.path());
    assert_eq!(contents(&recovered), expected);
    // Opening started a fresh file (and its spare) and dropped the replayed one.
    let left = files(&other.path().join("journal")).unwrap();
    assert!(left.iter().all(|(seq, _)| *seq >= 2), "{left:?}");
}

#[test]
fn replay_over_a_database_that_kept_some_writes_reaches_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let live = db(&dir.path().join("db"));
    let journal = Journal::open(&dir.path().join("journal"), &live).unwrap();
    for (k, v) in [("a", "1"), ("b", "2"), ("a", "5")] {
        journal.write(&live, put(k, v)).unwrap();
    }
    let mut delete = WriteBatch::default();
    delete.delete("b");
    journal.write_durably(&live, delete).unwrap();
    drop(journal);
    let state = contents(&live);
    drop(live);
    // The database kept everything (a clean close); replaying again changes nothing.
    let again = db(&dir.path().join("db"));
    Journal::open(&dir.path().join("journal"), &again).unwrap();
    assert_eq!(contents(&again), state);
    assert_eq!(state, pairs(&[("a", "5")]));
}

#[test]
fn a_full_file_rotates_after_the_database_is_synced() {
    let (dir, jdir, live, journal) = fresh(100);
    for i in 0..20 {
        journal
            .write_durably(&live, put(&format!("k{i:02}"), "some value"))
            .unwrap();
    }
    journal.settle();
    let left = files(&jdir).unwrap();
    let current = lock(&journal.shared.current).seq;
    assert!(current > 5, "the journal rotated: {left:?}");
    // Full files are removed; the current one and the spare made for the next rotation stay.
    let seqs: Vec<u64> = left.iter().map(|(s, _)| *s).collect();
    assert_eq!(seqs, vec![current, current + 1]);
    // What the current file holds replays; the rest RocksDB itself holds durably.
    let bytes = std::fs::read(&left[0].1).unwrap();
    assert!(records(&bytes).len() < 20);
    drop(journal);
    drop(live);
    let reopened = db(&dir.path().join("db"));
    Journal::open_with_capacity(&jdir, &reopened, 100).unwrap();
    assert_eq!(contents(&reopened).len(), 20);
}

#[test]
fn a_record_larger_than_a_file_gets_a_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let live = db(&dir.path().join("db"));
    let journal = Journal::open_with_capacity(&dir.path().join("journal"), &live, 64).unwrap();
    let big = "x".repeat(500);
    journal.write_durably(&live, put("big", &big)).unwrap();
    let other = tempfile::tempdir().unwrap();
    let recovered = reopen_beside_empty_db(&dir.path().join("journal"), other.path());
    assert_eq!(contents(&recovered), pairs(&[("big", &big)]));
}

#[test]
fn replay_stops_at_a_torn_or_corrupt_record() {
    let mut bytes = Vec::new();
    let mut record = |payload: &[u8], crc: u32| {
        bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&crc.to_le_bytes());
        bytes.extend_from_slice(payload);
    };
    record(b"one", crc32fast::hash(b"one"));
    record(b"two", crc32fast::hash(b"two"));
    record(b"bad", crc32fast::hash(b"bad") ^ 1);
    record(b"after", crc32fast::hash(b"after"));
    assert_eq!(records(&bytes), vec![b"one".to_vec(), b"two".to_vec()]);

    // A record cut short by the end of the file, and zeros after the last record.
    let cut = &bytes[..8 + 3 + 8 + 2];
    assert_eq!(records(cut).len(), 1);
    let mut zeros = bytes[..22].to_vec();
    zeros.extend_from_slice(&[0; 64]);
    assert_eq!(records(&zeros).len(), 2);
    assert_eq!(records(&[0; 5]).len(), 0);
}

#[test]
fn a_torn_tail_in_a_real_file_loses_only_the_torn_write() {
    let dir = tempfile::tempdir().unwrap();
    let jdir = dir.path().join("journal");
    let live = db(&dir.path().join("db"));
    let journal = Journal::open(&jdir, &live).unwrap();
    journal.write_durably(&live, put("kept", "1")).unwrap();
    let (end, seq) = {
        let cur = lock(&journal.shared.current);
        (cur.offset, cur.seq)
    };
    drop(journal);
    // A write that reached the file only in part: a header promising more than follows.
    let path = path_of(&jdir, seq);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.write_all_at(&[200, 0, 0, 0, 1, 2, 3, 4, 9, 9], end)
        .unwrap();
    let other = tempfile::tempdir().unwrap();
    let recovered = reopen_beside_empty_db(&jdir, other.path());
    assert_eq!(contents(&recovered), pairs(&[("kept", "1")]));
}

#[test]
fn a_stray_file_in_the_journal_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let jdir = dir.path().join("journal");
    std::fs::create_dir_all(&jdir).unwrap();
    std::fs::write(jdir.join("notes.txt"), "hello").unwrap();
    let live = db(&dir.path().join("db"));
    let err = Journal::open(&jdir, &live).err().expect("refused");
    assert!(err.to_string().contains("notes.txt"), "{err}");
    assert!(err.to_string().contains("not a journal file"), "{err}");
}

#[test]
fn a_fresh_file_is_allocated_at_its_full_size() {
    let (_dir, jdir, live, journal) = fresh(1 << 20);
    journal.write_durably(&live, put("a", "1")).unwrap();
    journal.settle();
    let left = files(&jdir).unwrap();
    assert_eq!(left.len(), 2, "the current file and the spare: {left:?}");
    for (_, path) in left {
        assert_eq!(std::fs::metadata(path).unwrap().len(), 1 << 20);
    }
}

#[test]
fn a_rotation_takes_the_spare_and_makes_its_own_file_when_there_is_none() {
    let (_dir, jdir, live, journal) = fresh(100);
    journal.settle();
    let spare = lock(&journal.shared.spare).as_ref().map(|s| s.seq);
    assert_eq!(spare, Some(2));
    // Fill file 1 and rotate onto the spare.
    for i in 0..4 {
        journal
            .write(&live, put(&format!("a{i}"), "0123456789"))
            .unwrap();
    }
    assert_eq!(lock(&journal.shared.current).seq, 2);
    // No spare yet for file 3 (the thread may not have run): taken away, the rotation makes
    // the file itself.
    journal.settle();
    *lock(&journal.shared.spare) = None;
    std::fs::remove_file(path_of(&jdir, 3)).unwrap();
    for i in 0..4 {
        journal
            .write(&live, put(&format!("b{i}"), "0123456789"))
            .unwrap();
    }
    journal.sync().unwrap();
    assert!(lock(&journal.shared.current).seq >= 3);
    let other = tempfile::tempdir().unwrap();
    journal.settle();
    let recovered = reopen_beside_empty_db(&jdir, other.path());
    // The copy holds only the files not yet retired; RocksDB (not copied) held the rest.
    let got = contents(&recovered);
    assert!(got.iter().any(|(k, _)| k == "b3"), "{got:?}");
}
