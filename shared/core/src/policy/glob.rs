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

/// Returns whether some value matches both patterns.
pub fn intersects(a: &str, b: &str, ignore_case: bool) -> bool {
    let a = chars(a, ignore_case);
    let b = chars(b, ignore_case);
    let mut memo = vec![None; (a.len() + 1) * (b.len() + 1)];
    intersect_from(&a, &b, 0, 0, &mut memo)
}

fn intersect_from(a: &[char], b: &[char], i: usize, j: usize, memo: &mut [Option<bool>]) -> bool {
    let slot = i * (b.len() + 1) + j;
    if let Some(Some(known)) = memo.get(slot) {
        return *known;
    }
    let result = match (a.get(i), b.get(j)) {
        (None, None) => true,
        (Some('*'), _) => {
            intersect_from(a, b, i + 1, j, memo)
                || (j < b.len() && intersect_from(a, b, i, j + 1, memo))
        }
        (_, Some('*')) => {
            intersect_from(a, b, i, j + 1, memo)
                || (i < a.len() && intersect_from(a, b, i + 1, j, memo))
        }
        (Some(x), Some(y)) => {
            (*x == '?' || *y == '?' || x == y) && intersect_from(a, b, i + 1, j + 1, memo)
        }
        _ => false,
    };
    if let Some(cell) = memo.get_mut(slot) {
        *cell = Some(result);
    }
    result
}

/// Returns whether every value that `inner` matches is matched by `outer`.
///
/// A wildcard in `inner` must be absorbed by a wildcard of `outer` at least as
/// wide (`*` absorbs `*` and `?`; `?` absorbs `?`). This is exact for the patterns
/// found in policies and never claims coverage that does not hold.
pub fn covers(outer: &str, inner: &str, ignore_case: bool) -> bool {
    let o = chars(outer, ignore_case);
    let n = chars(inner, ignore_case);
    let mut memo = vec![None; (o.len() + 1) * (n.len() + 1)];
    cover_from(&o, &n, 0, 0, &mut memo)
}

fn cover_from(o: &[char], n: &[char], i: usize, j: usize, memo: &mut [Option<bool>]) -> bool {
    let slot = i * (n.len() + 1) + j;
    if let Some(Some(known)) = memo.get(slot) {
        return *known;
    }
    let result = match (o.get(i), n.get(j)) {
        (None, None) => true,
        (Some('*'), _) => {
            cover_from(o, n, i + 1, j, memo) || (j < n.len() && cover_from(o, n, i, j + 1, memo))
        }
        (Some('?'), Some(c)) if *c != '*' => cover_from(o, n, i + 1, j + 1, memo),
        (Some(x), Some(y)) if *x != '?' && *y != '*' && *y != '?' => {
            x == y && cover_from(o, n, i + 1, j + 1, memo)
        }
        _ => false,
    };
    if let Some(cell) = memo.get_mut(slot) {
        *cell = Some(result);
    }
    result
}

/// Whether the pattern contains a wildcard character.
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
    fn covers_patterns(#[case] outer: &str, #[case] inner: &str, #[case] expected: bool) {
        assert_eq!(covers(outer, inner, true), expected);
    }
}
