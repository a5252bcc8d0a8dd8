//! Strings held once each and named by a small number: the agents, event
//! ids and messages of a long session's hops or runs (`--analyze` holds
//! only agents and routes here: its event ids and messages stay in its
//! row stores).
//!
//! A long session has tens of thousands of events, each with its own id.
//! Held as a string (or a shared `Arc<str>`) each, they cost an allocation
//! apiece, with its header and rounding; held here they cost their bytes in
//! one buffer, an end offset and a slot in a table of numbers, and a record
//! that names them holds 4 bytes per string instead of 16 or 24.

use std::hash::BuildHasher;
use std::num::NonZeroU32;

use hashbrown::HashTable;

/// A string held in [`Names`]. `Option<Name>` is as small as a `Name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(NonZeroU32);

impl Name {
    /// Its place among the names, from 0 in order of first use.
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }

    /// Its number (never 0), to be written down and read back with
    /// [`Name::from_number`].
    pub fn number(self) -> u32 {
        self.0.get()
    }

    /// The name numbered `number` (0: none).
    pub fn from_number(number: u32) -> Option<Name> {
        NonZeroU32::new(number).map(Name)
    }
}

/// Strings, each held once.
#[derive(Default)]
pub struct Names {
    strings: Strings,
    /// Each string's number, found by the string's hash.
    table: HashTable<Name>,
    /// Seeded per run, as [`super::FastMap`]: a file cannot be written to
    /// make its ids collide.
    hasher: foldhash::fast::RandomState,
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names")
            .field("count", &self.len())
            .field("bytes", &self.strings.text.len())
            .finish()
    }
}

impl Names {
    /// The name of `s`, held from now on if it was not already.
    ///
    /// Names are numbered with 32 bits. Four billion names would take
    /// over 50 GB here (their ends, table slots and bytes) before the
    /// number ran out, so the allocator fails first; the last number is
    /// shared if it ever does not.
    pub fn id(&mut self, s: &str) -> Name {
        let hash = self.hasher.hash_one(s);
        if let Some(name) = self.lookup(s, hash) {
            return name;
        }
        let number = u32::try_from(self.len() + 1)
            .ok()
            .and_then(NonZeroU32::new)
            .unwrap_or(NonZeroU32::MAX);
        let name = Name(number);
        self.strings.push(s);
        let (strings, hasher) = (&self.strings, &self.hasher);
        self.table
            .insert_unique(hash, name, |&held| hasher.hash_one(strings.get(held)));
        name
    }

    /// The name of `s`, if it is held.
    #[cfg(test)]
    pub fn find(&self, s: &str) -> Option<Name> {
        self.lookup(s, self.hasher.hash_one(s))
    }

    /// The name of `s`, whose hash is `hash`, if it is held.
    fn lookup(&self, s: &str, hash: u64) -> Option<Name> {
        self.table.find(hash, |&name| self.get(name) == s).copied()
    }

    /// The string `name` stands for.
    pub fn get(&self, name: Name) -> &str {
        self.strings.get(name)
    }

    /// How many strings are held.
    pub fn len(&self) -> usize {
        self.strings.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.ends.is_empty()
    }

    /// Gives back room grown for names that never came (a builder's
    /// buffers grow by doubling; these are kept while a view is drawn).
    pub fn shrink_to_fit(&mut self) {
        self.strings.text.shrink_to_fit();
        self.strings.ends.shrink_to_fit();
        let (strings, hasher) = (&self.strings, &self.hasher);
        self.table
            .shrink_to_fit(|&held| hasher.hash_one(strings.get(held)));
    }
}

/// The strings themselves, one after another.
#[derive(Default)]
struct Strings {
    text: String,
    /// Where each string ends in `text` (each starts where the one before
    /// ends).
    ends: Vec<usize>,
}

impl Strings {
    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    fn get(&self, name: Name) -> &str {
        let i = name.index();
        let start = i
            .checked_sub(1)
            .map_or(Some(0), |before| self.ends.get(before).copied());
        // Every name handed out has its end recorded, on a char boundary
        // (a name from other strings reads as empty, never out of bounds).
        let end = self.ends.get(i).copied();
        start
            .zip(end)
            .and_then(|(start, end)| self.text.get(start..end))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_string_is_held_once_and_read_back() {
        let mut names = Names::default();
        let a = names.id("planner");
        let b = names.id("");
        let c = names.id("écrivain");
        assert_eq!(names.id("planner"), a);
        assert_eq!(names.id(""), b);
        assert_ne!(a, c);
        assert_eq!(names.get(a), "planner");
        assert_eq!(names.get(b), "");
        assert_eq!(names.get(c), "écrivain");
        assert_eq!(names.find("écrivain"), Some(c));
        assert_eq!(names.find("writer"), None);
        assert_eq!(names.len(), 3);
        assert_eq!((a.index(), b.index(), c.index()), (0, 1, 2));
        assert_eq!(std::mem::size_of::<Option<Name>>(), 4);
    }

    proptest::proptest! {
        /// However many strings, and however the table grows, each string
        /// gets one name and reads back as itself.
        #[test]
        fn names_read_back(words in proptest::collection::vec(".{0,12}", 0..300)) {
            let mut names = Names::default();
            let ids: Vec<Name> = words.iter().map(|w| names.id(w)).collect();
            names.shrink_to_fit();
            for (w, &id) in words.iter().zip(&ids) {
                proptest::prop_assert_eq!(names.get(id), w.as_str());
                proptest::prop_assert_eq!(names.id(w), id);
            }
            let distinct: std::collections::HashSet<&String> = words.iter().collect();
            proptest::prop_assert_eq!(names.len(), distinct.len());
        }
    }
}
