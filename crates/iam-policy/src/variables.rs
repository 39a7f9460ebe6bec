//! Pattern text → tokens: literal runs, the `*`/`?` wildcards, and policy variables
//! (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, the escapes `${*}` `${?}` `${$}`),
//! and the resolution of variables against a request context.

use crate::context::Context;

/// One piece of a compiled pattern or template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Literal text (already case-folded when the pattern is case-insensitive).
    Lit(Box<str>),
    /// `*`: any run of characters, including none.
    Star,
    /// `?`: exactly one character.
    One,
    /// A policy variable, substituted as literal text at evaluation time.
    Var(Var),
}

/// A policy variable: the context key (lowercased) and an optional default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Var {
    pub(crate) key: Box<str>,
    pub(crate) default: Option<Box<str>>,
}

impl Var {
    /// The value the variable stands for: the key's single value, else the default, else
    /// nothing (a missing or multi-valued key), in which case the entry matches nothing.
    pub(crate) fn resolve<'c>(&'c self, ctx: &'c Context) -> Option<&'c str> {
        match ctx.single(&self.key) {
            Some(v) => Some(v),
            None => self.default.as_deref(),
        }
    }
}

/// How to read a pattern's text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    /// `*` and `?` are wildcards (Like operators, Action, Resource) rather than literal text.
    pub(crate) wildcards: bool,
    /// `${...}` is a policy variable (only in `2012-10-17` documents, only where AWS allows it).
    pub(crate) variables: bool,
}

/// Splits `text` into tokens. Adjacent literal text is merged into one token.
pub(crate) fn tokenize(text: &str, syntax: Syntax) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if syntax.variables && rest.starts_with("${") {
            if let Some((piece, used)) = parse_variable(rest) {
                match piece {
                    Piece::Literal(ch) => lit.push(ch),
                    Piece::Variable(var) => {
                        flush(&mut toks, &mut lit);
                        toks.push(Tok::Var(var));
                    }
                }
                rest = &rest[used..];
                continue;
            }
        }
        match c {
            '*' if syntax.wildcards => {
                flush(&mut toks, &mut lit);
                // Consecutive stars mean the same as one.
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
            }
            '?' if syntax.wildcards => {
                flush(&mut toks, &mut lit);
                toks.push(Tok::One);
            }
            _ => lit.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut toks, &mut lit);
    toks
}

fn flush(toks: &mut Vec<Tok>, lit: &mut String) {
    if !lit.is_empty() {
        toks.push(Tok::Lit(std::mem::take(lit).into_boxed_str()));
    }
}

enum Piece {
    Literal(char),
    Variable(Var),
}

/// Parses a `${...}` at the start of `text`; `None` when it is not a well-formed variable
/// (the text is then literal).
fn parse_variable(text: &str) -> Option<(Piece, usize)> {
    let body_start = 2;
    let close = text[body_start..].find('}')? + body_start;
    let body = &text[body_start..close];
    let used = close + 1;
    match body {
        "*" => return Some((Piece::Literal('*'), used)),
        "?" => return Some((Piece::Literal('?'), used)),
        "$" => return Some((Piece::Literal('$'), used)),
        _ => {}
    }
    // A default value may itself contain '}' only if quoted; find the real end then.
    if let Some(comma) = body.find(',') {
        let key = body[..comma].trim();
        let after = text[body_start + comma + 1..].trim_start();
        let quoted = after.strip_prefix('\'')?;
        let end_quote = quoted.find('\'')?;
        let default = &quoted[..end_quote];
        let tail = quoted[end_quote + 1..].trim_start();
        let tail = tail.strip_prefix('}')?;
        if !valid_key(key) {
            return None;
        }
        let used = text.len() - tail.len();
        let var = Var {
            key: key.to_lowercase().into(),
            default: Some(default.into()),
        };
        return Some((Piece::Variable(var), used));
    }
    let key = body.trim();
    if !valid_key(key) {
        return None;
    }
    Some((
        Piece::Variable(Var {
            key: key.to_lowercase().into(),
            default: None,
        }),
        used,
    ))
}

fn valid_key(key: &str) -> bool {
    !key.is_empty() && !key.contains(['$', '{', '}', '\'', ' '])
}

/// The length of the well-formed `${...}` at the start of `text`, if there is one.
pub(crate) fn variable_len(text: &str) -> Option<usize> {
    if !text.starts_with("${") {
        return None;
    }
    parse_variable(text).map(|(_, used)| used)
}

/// True when `text` contains something that reads as a policy variable or escape.
pub(crate) fn has_variable(text: &str) -> bool {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        if parse_variable(&rest[i..]).is_some() {
            return true;
        }
        rest = &rest[i + 2..];
    }
    false
}

/// True when any token is a variable.
pub(crate) fn any_var(toks: &[Tok]) -> bool {
    toks.iter().any(|t| matches!(t, Tok::Var(_)))
}

/// Substitutes every variable, giving plain text; `None` if a variable has no value.
/// Wildcards stay wildcards (`*`, `?`); used only where a pattern must be re-split after
/// substitution.
pub(crate) fn render(toks: &[Tok], ctx: &Context) -> Option<String> {
    let mut out = String::new();
    for t in toks {
        match t {
            Tok::Lit(s) => out.push_str(s),
            Tok::Star => out.push('*'),
            Tok::One => out.push('?'),
            Tok::Var(v) => out.push_str(v.resolve(ctx)?),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        tokenize(
            text,
            Syntax {
                wildcards: true,
                variables: true,
            },
        )
    }

    fn lit(s: &str) -> Tok {
        Tok::Lit(s.into())
    }

    #[test]
    fn splits_literals_wildcards_and_variables() {
        let got = toks("home/${aws:username}/*");
        let var = Var {
            key: "aws:username".into(),
            default: None,
        };
        assert_eq!(got, vec![lit("home/"), Tok::Var(var), lit("/"), Tok::Star]);
    }

    #[test]
    fn escapes_are_literal_characters() {
        assert_eq!(toks("a${*}b${?}c${$}d"), vec![lit("a*b?c$d")]);
    }

    #[test]
    fn default_values_are_parsed() {
        let got = toks("${aws:PrincipalTag/team, 'company-wide'}");
        let var = Var {
            key: "aws:principaltag/team".into(),
            default: Some("company-wide".into()),
        };
        assert_eq!(got, vec![Tok::Var(var)]);
    }

    #[test]
    fn malformed_variables_are_literal_text() {
        assert_eq!(toks("${aws:username"), vec![lit("${aws:username")]);
        assert_eq!(toks("${}"), vec![lit("${}")]);
    }

    #[test]
    fn without_variables_the_text_is_literal_but_wildcards_stay() {
        let got = tokenize(
            "${aws:username}*",
            Syntax {
                wildcards: true,
                variables: false,
            },
        );
        assert_eq!(got, vec![lit("${aws:username}"), Tok::Star]);
    }
}
