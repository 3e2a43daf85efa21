//! IAM wildcard patterns: `*` matches any run of characters, `?` matches one.
//!
//! Besides matching a value, the analysis needs two questions about two patterns:
//! whether some value matches both (`intersects`) and whether every value of one
//! matches the other (`covers`).

/// Returns whether `pattern` matches `value`.
pub fn matches(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let p = chars(pattern, ignore_case);
    let v = chars(value, ignore_case);
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, vi));
                pi += 1;
            }
            Some(c) if *c == '?' || Some(c) == v.get(vi) => {
                pi += 1;
                vi += 1;
            }
            _ => match star {
                Some((star_pi, star_vi)) => {
                    pi = star_pi + 1;
                    vi = star_vi + 1;
                    star = Some((star_pi, star_vi + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

/// The largest pattern pair (product of lengths) the two-pattern questions examine.
/// IAM limits action names to 128 characters and ARNs to 2,048, so real patterns
/// stay far below it; larger inputs get the cautious result instead.
const MAX_PAIR_CELLS: usize = 4_000_000;

/// Returns whether some value matches both patterns. Patterns too large to compare
/// are assumed to intersect, the cautious result for access analysis.
pub fn intersects(a: &str, b: &str, ignore_case: bool) -> bool {
    let a = chars(a, ignore_case);
    let b = chars(b, ignore_case);
    let Some(width) = table_width(&a, &b) else {
        return true;
    };
    // reach[i][j]: the suffixes a[i..] and b[j..] match a common value. Filled from
    // the ends backwards, so no recursion depth grows with the input.
    let mut reach = vec![false; (a.len() + 1) * width];
    for i in (0..=a.len()).rev() {
        for j in (0..=b.len()).rev() {
            let cell = |i: usize, j: usize| reach.get(i * width + j).copied().unwrap_or(false);
            let value = match (a.get(i), b.get(j)) {
                (None, None) => true,
                (Some('*'), _) => cell(i + 1, j) || (j < b.len() && cell(i, j + 1)),
                (_, Some('*')) => cell(i, j + 1) || (i < a.len() && cell(i + 1, j)),
                (Some(x), Some(y)) => (*x == '?' || *y == '?' || x == y) && cell(i + 1, j + 1),
                _ => false,
            };
            if let Some(slot) = reach.get_mut(i * width + j) {
                *slot = value;
            }
        }
    }
    reach.first().copied().unwrap_or(false)
}

/// Returns whether every value that `inner` matches is matched by `outer`.
///
/// A wildcard in `inner` must be absorbed by a wildcard of `outer` at least as
/// wide (`*` absorbs `*` and `?`; `?` absorbs `?`). This is exact for the patterns
/// found in policies and never claims coverage that does not hold. Patterns too
/// large to compare are not covered.
pub fn covers(outer: &str, inner: &str, ignore_case: bool) -> bool {
    let o = chars(outer, ignore_case);
    let n = chars(inner, ignore_case);
    let Some(width) = table_width(&o, &n) else {
        return false;
    };
    let mut cover = vec![false; (o.len() + 1) * width];
    for i in (0..=o.len()).rev() {
        for j in (0..=n.len()).rev() {
            let cell = |i: usize, j: usize| cover.get(i * width + j).copied().unwrap_or(false);
            let value = match (o.get(i), n.get(j)) {
                (None, None) => true,
                (Some('*'), _) => cell(i + 1, j) || (j < n.len() && cell(i, j + 1)),
                (Some('?'), Some(c)) if *c != '*' => cell(i + 1, j + 1),
                (Some(x), Some(y)) if *x != '?' && *y != '*' && *y != '?' => {
                    x == y && cell(i + 1, j + 1)
                }
                _ => false,
            };
            if let Some(slot) = cover.get_mut(i * width + j) {
                *slot = value;
            }
        }
    }
    cover.first().copied().unwrap_or(false)
}

/// Returns the row width of a comparison table, or `None` when the table would be too large.
fn table_width(a: &[char], b: &[char]) -> Option<usize> {
    let cells = (a.len() + 1).checked_mul(b.len() + 1)?;
    (cells <= MAX_PAIR_CELLS).then_some(b.len() + 1)
}

/// Returns whether the pattern contains a wildcard character.
pub fn has_wildcard(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

fn chars(text: &str, ignore_case: bool) -> Vec<char> {
    if ignore_case {
        text.chars().flat_map(char::to_lowercase).collect()
    } else {
        text.chars().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("s3:*", "s3:GetObject", true)]
    #[case("s3:Get*", "s3:getobject", true)]
    #[case("s3:Get*", "s3:PutObject", false)]
    #[case("*", "", true)]
    #[case("s3:?etObject", "s3:GetObject", true)]
    #[case("s3:*Object", "s3:GetObjectAcl", false)]
    #[case("a*b*c", "aXXbYYc", true)]
    #[case("a*b*c", "aXXbYY", false)]
    fn matches_wildcards(#[case] pattern: &str, #[case] value: &str, #[case] expected: bool) {
        assert_eq!(matches(pattern, value, true), expected);
    }

    #[rstest]
    #[case("s3:Get*", "s3:*Object", true)]
    #[case("s3:Get*", "s3:Put*", false)]
    #[case("*", "s3:ListBucket", true)]
    #[case("s3:List*", "s3:ListBucket", true)]
    #[case("s3:Abort?ultipartUpload", "s3:AbortMultipartUpload", true)]
    fn intersects_patterns(#[case] a: &str, #[case] b: &str, #[case] expected: bool) {
        assert_eq!(intersects(a, b, true), expected);
        assert_eq!(intersects(b, a, true), expected);
    }

    #[rstest]
    #[case("*", "s3:*", true)]
    #[case("s3:*", "s3:*", true)]
    #[case("S3:*", "s3:*", true)]
    #[case("s*", "s3:*", true)]
    #[case("s3:Get*", "s3:*", false)]
    #[case("s3:*", "s3:GetObject", true)]
    #[case("s3:GetObject", "s3:Get*", false)]
    #[case("arn:aws:s3:::b/*", "arn:aws:s3:::b/*", true)]
    #[case("arn:aws:s3:::b*", "arn:aws:s3:::b/*", true)]
    #[case("arn:aws:s3:::b/a*", "arn:aws:s3:::b/*", false)]
    #[case("s3:?etObject", "s3:?etObject", true)]
    #[case("s3:GetObject", "s3:?etObject", false)]
    #[case("a*b", "a*c*b", true)]
    #[case("a*", "", false)]
    fn covers_patterns(#[case] outer: &str, #[case] inner: &str, #[case] expected: bool) {
        assert_eq!(covers(outer, inner, true), expected);
    }
}

#[cfg(test)]
mod limits {
    use super::*;

    #[test]
    fn long_patterns_do_not_overflow_the_stack() {
        let long = format!("s3:{}Object", "*".repeat(36_000));
        assert!(intersects(&long, "s3:GetObject", true));
        assert!(!covers("s3:GetObject", &long, true));
        assert!(!intersects(
            &format!("s3:{}", "*?".repeat(18_000)),
            "s3:GetObject",
            true
        ));
        let thread = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || intersects(&long, "s3:PutObject", true))
            .unwrap();
        assert!(thread.join().unwrap());
    }
}
