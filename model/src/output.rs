//! All-or-nothing output: every file a command writes is staged in a temporary sibling and
//! renamed into place only when all of them are written, so a failing command leaves no
//! partial output, and no output may overwrite an input or another output.
//!
//! [`Outputs`] is the staging set of one command:
//! 1. [`Outputs::input`] names each file the command reads, and [`Outputs::claim`] each file
//!    it will write, before any work: an output that is an input or another output (compared
//!    by identity: the canonical folder and name, and for existing files the file itself, so
//!    `./a.npy`, `dir/../a.npy`, a symbolic link and a hard link to it all count), or whose
//!    folder does not exist, is refused at once.
//! 2. [`Outputs::npy`], [`Outputs::text`] or [`Outputs::staged_path`] (for a file written by
//!    someone else, such as a VCD) write each output into its temporary sibling.
//! 3. [`Outputs::commit`] renames them all into place (undoing the ones already renamed if a
//!    later rename fails). Until then nothing the user named has changed; dropping the set
//!    without committing removes every temporary file.
//!
//! Every error names the user's path, never the temporary one. [`write_text_atomic`] and
//! [`crate::npy::write_atomic`] are the one-file case.

use crate::npy::fail;
use crate::ModelError;
use ndarray::Dimension;
use ndarray_npy::{WritableElement, WriteNpyExt};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, ModelError>;

/// Writes text (a JSON report) atomically.
pub fn write_text_atomic(path: &Path, text: &str) -> Result<()> {
    let mut o = Outputs::new();
    o.text(path, text)?;
    o.commit()
}

/// What makes two paths the same file: the canonical folder and file name (a file need not
/// exist), and, for an existing file, its device and inode (hard links, symbolic links).
#[derive(Clone, Debug)]
struct Identity {
    path: PathBuf,
    file: Option<(u64, u64)>,
}

impl Identity {
    fn of(path: &Path) -> Identity {
        let resolved = std::fs::canonicalize(path).ok().unwrap_or_else(|| {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let dir = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
            dir.join(path.file_name().unwrap_or_default())
        });
        Identity {
            file: file_id(path),
            path: resolved,
        }
    }

    fn same(&self, other: &Identity) -> bool {
        self.path == other.path || (self.file.is_some() && self.file == other.file)
    }
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &Path) -> Option<(u64, u64)> {
    None
}

/// One output of the set.
#[derive(Debug)]
struct Staged {
    /// The path as the user gave it (what messages name).
    user: PathBuf,
    id: Identity,
    tmp: PathBuf,
    /// The temporary file holds the output.
    written: bool,
}

/// The outputs of one command, staged and committed together (see the module doc).
#[derive(Debug, Default)]
pub struct Outputs {
    inputs: Vec<(PathBuf, Identity)>,
    outputs: Vec<Staged>,
}

impl Outputs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Names a file the command reads: no output may be it.
    pub fn input(&mut self, path: &Path) -> &mut Self {
        self.inputs.push((path.to_path_buf(), Identity::of(path)));
        self
    }

    /// Names every file of `paths` as an input.
    pub fn inputs<'a>(&mut self, paths: impl IntoIterator<Item = &'a Path>) -> &mut Self {
        for p in paths {
            self.input(p);
        }
        self
    }

    /// Claims `path` as an output. Refuses an output that is an input or another output
    /// (claimed before, under any spelling), a folder, or one whose folder does not exist.
    pub fn claim(&mut self, path: &Path) -> Result<()> {
        self.add(path).map(|_| ())
    }

    /// The output `path` as claimed before (by the same spelling), or claimed now.
    fn index_of(&mut self, path: &Path) -> Result<usize> {
        match self.outputs.iter().position(|s| s.user == path) {
            Some(i) => Ok(i),
            None => self.add(path),
        }
    }

    fn add(&mut self, path: &Path) -> Result<usize> {
        let Some(name) = path.file_name() else {
            return Err(fail(path, "cannot write: not a file name"));
        };
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            return Err(fail(
                path,
                format!(
                    "cannot write: the folder {} does not exist",
                    parent.display()
                ),
            ));
        }
        if path.is_dir() {
            return Err(fail(path, "cannot write: it is a folder"));
        }
        let id = Identity::of(path);
        if let Some((input, _)) = self.inputs.iter().find(|(_, i)| i.same(&id)) {
            return Err(fail(
                path,
                if input == path {
                    "the output would overwrite an input of this command".to_string()
                } else {
                    format!(
                        "the output would overwrite an input of this command ({})",
                        input.display()
                    )
                },
            ));
        }
        if let Some(other) = self.outputs.iter().find(|s| s.id.same(&id)) {
            return Err(fail(
                path,
                format!(
                    "given as two outputs of this command ({} and {})",
                    other.user.display(),
                    path.display()
                ),
            ));
        }
        let tmp = path.with_file_name(format!(
            ".{}.tmp-{}",
            name.to_string_lossy(),
            std::process::id()
        ));
        self.outputs.push(Staged {
            user: path.to_path_buf(),
            id,
            tmp,
            written: false,
        });
        Ok(self.outputs.len() - 1)
    }

    /// Writes `array` as the `.npy` output `path` (claimed now unless claimed by this
    /// spelling before).
    pub fn npy<T: WritableElement, D: Dimension>(
        &mut self,
        path: &Path,
        array: &ndarray::Array<T, D>,
    ) -> Result<()> {
        self.write_with(path, |w| {
            array
                .write_npy(w)
                .map_err(|e| std::io::Error::other(e.to_string()))
        })
    }

    /// Writes `text` as the output `path` (claimed now unless claimed by this spelling
    /// before).
    pub fn text(&mut self, path: &Path, text: &str) -> Result<()> {
        self.write_with(path, |w| w.write_all(text.as_bytes()))
    }

    fn write_with(
        &mut self,
        path: &Path,
        write: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<()> {
        let i = self.index_of(path)?;
        let s = &mut self.outputs[i];
        let cannot = |e: std::io::Error| fail(path, format!("cannot write: {e}"));
        s.written = true;
        let f = File::create(&s.tmp).map_err(cannot)?;
        let mut w = BufWriter::new(f);
        write(&mut w).map_err(cannot)?;
        w.flush().map_err(cannot)?;
        let f = w.into_inner().map_err(|e| cannot(e.into_error()))?;
        f.sync_all().map_err(cannot)
    }

    /// The temporary path to write the output `path` into by other means (a VCD written by the
    /// simulator, a plot); [`Outputs::commit`] moves it into place if it exists by then.
    pub fn staged_path(&mut self, path: &Path) -> Result<PathBuf> {
        let i = self.index_of(path)?;
        self.outputs[i].written = true;
        Ok(self.outputs[i].tmp.clone())
    }

    /// `message` with every temporary path of this set replaced by its user's path (for
    /// errors of a writer given [`Outputs::staged_path`]).
    pub fn in_users_terms(&self, message: String) -> String {
        self.outputs.iter().fold(message, |m, s| {
            m.replace(&s.tmp.display().to_string(), &s.user.display().to_string())
        })
    }

    /// Moves every written output into place. If a rename fails, the outputs already moved
    /// are undone (the files they replaced restored) and the error names the output.
    pub fn commit(mut self) -> Result<()> {
        let mut moved: Vec<(usize, Option<PathBuf>)> = Vec::new();
        let mut failure = None;
        for (i, s) in self.outputs.iter().enumerate() {
            if !s.written || !s.tmp.exists() {
                continue;
            }
            // Keep what the output replaces until every output is in place.
            let mut backup = s.tmp.clone().into_os_string();
            backup.push(".bak");
            let backup = PathBuf::from(backup);
            let backup = std::fs::hard_link(&s.user, &backup).ok().map(|_| backup);
            match std::fs::rename(&s.tmp, &s.user) {
                Ok(()) => moved.push((i, backup)),
                Err(e) => {
                    if let Some(b) = backup {
                        let _ = std::fs::remove_file(b);
                    }
                    failure = Some(fail(&s.user, format!("cannot write: {e}")));
                    break;
                }
            }
        }
        for (i, backup) in moved.into_iter().rev() {
            let user = &self.outputs[i].user;
            match (&failure, backup) {
                (None, Some(b)) => {
                    let _ = std::fs::remove_file(b);
                }
                (None, None) => {}
                (Some(_), Some(b)) => {
                    let _ = std::fs::rename(b, user);
                }
                (Some(_), None) => {
                    let _ = std::fs::remove_file(user);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => {
                for s in &mut self.outputs {
                    s.written = false;
                }
                Ok(())
            }
        }
    }
}

impl Drop for Outputs {
    /// Removes every temporary file not committed.
    fn drop(&mut self) {
        for s in &self.outputs {
            if s.written {
                let _ = std::fs::remove_file(&s.tmp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("logattn-outputs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn files(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn outputs_appear_together_on_commit_and_never_without() {
        let d = dir("together");
        let (a, b) = (d.join("a.npy"), d.join("r.json"));
        let mut o = Outputs::new();
        o.npy(&a, &ndarray::arr1(&[1.0f32, 2.0])).unwrap();
        o.text(&b, "{}").unwrap();
        assert!(!a.exists() && !b.exists(), "nothing in place before commit");
        o.commit().unwrap();
        assert_eq!(files(&d), ["a.npy", "r.json"]);
        // Dropped without commit: nothing changes, no temporary file is left.
        let mut o = Outputs::new();
        o.text(&b, "new").unwrap();
        drop(o);
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "{}");
        assert_eq!(files(&d), ["a.npy", "r.json"]);
    }

    #[test]
    fn an_output_that_is_an_input_or_another_output_is_refused() {
        let d = dir("clash");
        let input = d.join("p.npy");
        std::fs::write(&input, "x").unwrap();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        let mut o = Outputs::new();
        o.input(&input);
        let e = o.claim(&input).unwrap_err().to_string();
        assert!(
            e.ends_with("the output would overwrite an input of this command"),
            "{e}"
        );
        // The same file by another spelling, and through a symbolic link.
        let other = d.join("sub/../p.npy");
        let e = o.claim(&other).unwrap_err().to_string();
        assert!(e.starts_with(&other.display().to_string()), "{e}");
        assert!(e.contains(&format!("({})", input.display())), "{e}");
        #[cfg(unix)]
        {
            let link = d.join("link.npy");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(o.claim(&link).is_err());
            let hard = d.join("hard.npy");
            std::fs::hard_link(&input, &hard).unwrap();
            assert!(o.claim(&hard).is_err());
        }
        o.claim(&d.join("o.npy")).unwrap();
        for again in [d.join("sub/../o.npy"), d.join("o.npy")] {
            let e = o.claim(&again).unwrap_err().to_string();
            assert!(e.contains("given as two outputs"), "{e}");
        }
        // Writing a claimed output uses its claim.
        o.text(&d.join("o.npy"), "x").unwrap();
    }

    #[test]
    fn errors_name_the_users_path_not_the_temporary_one() {
        let d = dir("errors");
        let missing = d.join("nodir/r.json");
        let e = write_text_atomic(&missing, "{}").unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: cannot write: the folder {} does not exist",
                missing.display(),
                d.join("nodir").display()
            )
        );
        let e = write_text_atomic(&d, "{}").unwrap_err().to_string();
        assert!(e.ends_with("cannot write: it is a folder"), "{e}");
        assert!(!e.contains(".tmp-"), "{e}");
        let mut o = Outputs::new();
        let tmp = o.staged_path(&d.join("t.vcd")).unwrap();
        assert_eq!(
            o.in_users_terms(format!("{}: cannot open", tmp.display())),
            format!("{}: cannot open", d.join("t.vcd").display())
        );
        // A temporary file that cannot be created (its name is taken by a folder).
        let out = d.join("o.json");
        std::fs::create_dir_all(d.join(format!(".o.json.tmp-{}", std::process::id()))).unwrap();
        let e = write_text_atomic(&out, "{}").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: cannot write: ", out.display())),
            "{e}"
        );
        assert!(!e.contains(".tmp-"), "{e}");
    }

    #[test]
    fn a_failed_rename_undoes_the_outputs_already_moved() {
        let d = dir("undo");
        let (a, b) = (d.join("a.txt"), d.join("b.txt"));
        std::fs::write(&a, "old a").unwrap();
        let mut o = Outputs::new();
        o.text(&a, "new a").unwrap();
        o.text(&b, "new b").unwrap();
        // b's temporary file vanishes and a folder takes b's name: its rename fails.
        std::fs::remove_file(&o.outputs[1].tmp).unwrap();
        std::fs::create_dir_all(&o.outputs[1].tmp).unwrap();
        std::fs::create_dir_all(b.join("x")).unwrap();
        let e = o.commit().unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("{}: cannot write", b.display())),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old a", "a restored");
    }
}
