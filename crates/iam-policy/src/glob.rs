//! Wildcard matching: patterns compiled to a literal, prefix, suffix or general glob
//! matcher, and the matching loop itself (`*` any run, `?` one character, variables
//! substituted as literal text). Allocation-free at evaluation time.

use crate::context::Context;
use crate::variables::{any_var, Tok};

/// Whether a glob compares ASCII letters case-insensitively (actions) or exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Sensitive,
    /// The pattern's literals are stored ASCII-lowercased; the input is folded on the fly.
    AsciiInsensitive,
}

/// A compiled wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Matcher {
    /// `*`: matches everything.
    Any,
    /// No wildcard: the whole input must equal the text.
    Exact(Box<str>),
    /// `text*`.
    Prefix(Box<str>),
    /// `*text`.
    Suffix(Box<str>),
    /// Anything else, including every pattern with a variable.
    Glob(Box<[Tok]>),
}

impl Matcher {
    /// Compiles tokens; with [`Case::AsciiInsensitive`] literals are lowercased here.
    pub(crate) fn new(mut toks: Vec<Tok>, case: Case) -> Matcher {
        if case == Case::AsciiInsensitive {
            for t in &mut toks {
                if let Tok::Lit(s) = t {
                    *s = s.to_ascii_lowercase().into();
                }
            }
        }
        if any_var(&toks) {
            return Matcher::Glob(toks.into());
        }
        match toks.as_slice() {
            [] => Matcher::Exact("".into()),
            [Tok::Star] => Matcher::Any,
            [Tok::Lit(s)] => Matcher::Exact(s.clone()),
            [Tok::Lit(s), Tok::Star] => Matcher::Prefix(s.clone()),
            [Tok::Star, Tok::Lit(s)] => Matcher::Suffix(s.clone()),
            _ => Matcher::Glob(toks.into()),
        }
    }

    /// True when the whole `input` matches.
    pub(crate) fn is_match(&self, input: &str, case: Case, ctx: &Context) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Exact(s) => eq(input, s, case),
            Matcher::Prefix(s) => input.is_char_boundary(s.len()) && eq(&input[..s.len()], s, case),
            Matcher::Suffix(s) => {
                input.len() >= s.len() && {
                    let start = input.len() - s.len();
                    input.is_char_boundary(start) && eq(&input[start..], s, case)
                }
            }
            Matcher::Glob(toks) => glob(toks, input, case, ctx),
        }
    }
}

fn eq(input: &str, pattern: &str, case: Case) -> bool {
    match case {
        Case::Sensitive => input == pattern,
        Case::AsciiInsensitive => input.eq_ignore_ascii_case(pattern),
    }
}

/// Length in bytes of the UTF-8 character starting with byte `b`.
fn char_len(b: u8) -> usize {
    match b {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// Matches `input` at byte `pos` against one non-star token; returns the new position.
fn step(tok: &Tok, input: &str, pos: usize, case: Case, ctx: &Context) -> Option<usize> {
    let rest = input.get(pos..)?;
    match tok {
        Tok::Lit(s) => starts_with(rest, s, case).then_some(pos + s.len()),
        Tok::One => rest.bytes().next().map(|b| pos + char_len(b)),
        Tok::Var(v) => {
            let value = v.resolve(ctx)?;
            starts_with(rest, value, case).then_some(pos + value.len())
        }
        Tok::Star => Some(pos),
    }
}

fn starts_with(haystack: &str, prefix: &str, case: Case) -> bool {
    match case {
        Case::Sensitive => haystack.starts_with(prefix),
        Case::AsciiInsensitive => {
            haystack.len() >= prefix.len()
                && haystack.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
        }
    }
}

/// The general matcher: iterative, backtracking only to the most recent `*`, so it runs in
/// O(pattern × input) time at worst and never recurses.
pub(crate) fn glob(toks: &[Tok], input: &str, case: Case, ctx: &Context) -> bool {
    // A variable without a value makes the whole entry match nothing.
    for t in toks {
        if let Tok::Var(v) = t {
            if v.resolve(ctx).is_none() {
                return false;
            }
        }
    }
    let mut ti = 0;
    let mut pos = 0;
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if let Some(tok) = toks.get(ti) {
            if *tok == Tok::Star {
                backtrack = Some((ti + 1, pos));
                ti += 1;
                continue;
            }
            if let Some(next) = step(tok, input, pos, case, ctx) {
                ti += 1;
                pos = next;
                continue;
            }
        } else if pos == input.len() {
            return true;
        }
        match backtrack {
            Some((star_ti, star_pos)) if star_pos < input.len() => {
                let next = star_pos + char_len(input.as_bytes()[star_pos]);
                backtrack = Some((star_ti, next));
                ti = star_ti;
                pos = next;
            }
            _ => return false,
        }
    }
}

/// Equality of `input` with a template of literals and variables (no wildcards).
/// With `ignore_case`, both sides are compared after Unicode lowercasing.
pub(crate) fn template_eq(toks: &[Tok], input: &str, ignore_case: bool, ctx: &Context) -> bool {
    let mut rest = input;
    for t in toks {
        let piece: &str = match t {
            Tok::Lit(s) => s,
            Tok::Var(v) => match v.resolve(ctx) {
                Some(value) => value,
                None => return false,
            },
            // Templates for equality never hold wildcards; treat one defensively as literal.
            Tok::Star => "*",
            Tok::One => "?",
        };
        let used = if ignore_case {
            match fold_prefix(rest, piece) {
                Some(n) => n,
                None => return false,
            }
        } else if rest.starts_with(piece) {
            piece.len()
        } else {
            return false;
        };
        rest = &rest[used..];
    }
    rest.is_empty()
}

/// If `input` starts with `prefix` ignoring case (Unicode lowercase of both), the number of
/// bytes of `input` that the prefix covers.
fn fold_prefix(input: &str, prefix: &str) -> Option<usize> {
    let mut want = prefix.chars().flat_map(char::to_lowercase).peekable();
    let mut used = 0;
    for (i, c) in input.char_indices() {
        if want.peek().is_none() {
            return Some(i);
        }
        for lc in c.to_lowercase() {
            if want.next() != Some(lc) {
                return None;
            }
        }
        used = i + c.len_utf8();
    }
    want.peek().is_none().then_some(used)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::{tokenize, Syntax};

    fn m(pattern: &str, case: Case) -> Matcher {
        Matcher::new(
            tokenize(
                pattern,
                Syntax {
                    wildcards: true,
                    variables: true,
                },
            ),
            case,
        )
    }

    fn ok(pattern: &str, input: &str) -> bool {
        m(pattern, Case::Sensitive).is_match(input, Case::Sensitive, &Context::new())
    }

    #[test]
    fn shapes_are_specialised() {
        assert_eq!(m("*", Case::Sensitive), Matcher::Any);
        assert_eq!(m("a", Case::Sensitive), Matcher::Exact("a".into()));
        assert_eq!(
            m("S3:Get*", Case::AsciiInsensitive),
            Matcher::Prefix("s3:get".into())
        );
        assert_eq!(m("*x", Case::Sensitive), Matcher::Suffix("x".into()));
        assert!(matches!(m("a*b", Case::Sensitive), Matcher::Glob(_)));
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(ok("a*b", "ab"));
        assert!(ok("a*b", "axxb"));
        assert!(!ok("a*b", "axxc"));
        assert!(ok("a?c", "abc"));
        assert!(!ok("a?c", "ac"));
        assert!(ok("a?c", "aéc"));
        assert!(ok("*/test/*", "bucket/1/2/test/3/x"));
        assert!(ok("a*b*c", "aXbYbZc"));
        assert!(!ok("a*b*c", "aXbYbZ"));
        assert!(ok("", ""));
        assert!(!ok("", "x"));
        assert!(ok("**", ""));
    }

    #[test]
    fn prefix_and_suffix_respect_char_boundaries() {
        assert!(!ok("é*", "e"));
        assert!(ok("é*", "éa"));
        assert!(ok("*é", "aé"));
    }

    #[test]
    fn ascii_folding_for_actions() {
        let p = m("iam:*AccessKey*", Case::AsciiInsensitive);
        assert!(p.is_match(
            "IAM:listaccesskeys",
            Case::AsciiInsensitive,
            &Context::new()
        ));
        assert!(!p.is_match("iam:ListUsers", Case::AsciiInsensitive, &Context::new()));
    }

    #[test]
    fn variables_substitute_literally() {
        let ctx = Context::new().with("aws:username", "a*");
        let p = m("home/${aws:username}/*", Case::Sensitive);
        assert!(p.is_match("home/a*/x", Case::Sensitive, &ctx));
        assert!(!p.is_match("home/ab/x", Case::Sensitive, &ctx));
        assert!(!p.is_match("home/a*/x", Case::Sensitive, &Context::new()));
    }

    #[test]
    fn template_equality_with_and_without_case() {
        let ctx = Context::new().with("aws:username", "Bob");
        let t = tokenize(
            "u-${aws:username}",
            Syntax {
                wildcards: false,
                variables: true,
            },
        );
        assert!(template_eq(&t, "u-Bob", false, &ctx));
        assert!(!template_eq(&t, "u-bob", false, &ctx));
        assert!(template_eq(&t, "U-BOB", true, &ctx));
        assert!(!template_eq(&t, "u-Bobx", true, &ctx));
        assert!(fold_prefix("ÄBC", "äb") == Some(3));
    }
}
