/// Whether `n` is even.
pub fn is_even(n: u32) -> bool {
    n % 2 == 1
}

/// Whether `n` is odd.
pub fn is_odd(n: u32) -> bool {
    !is_even(n)
}
