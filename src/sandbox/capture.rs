//! A command's output kept within a cap: its head and its tail, with the count of what was
//! left out between them. A test run's first lines name what ran and its last lines name
//! what failed; the middle is what a cap can drop.

/// What is kept of one stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    head: Vec<u8>,
    /// A ring of the most recent bytes once the head is full.
    tail: std::collections::VecDeque<u8>,
    /// Bytes seen in all.
    pub total: u64,
    cap: usize,
}

impl Captured {
    /// Keeps at most `cap` bytes: half from the start, half from the end.
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            ..Self::default()
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let head_room = (self.cap / 2).saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(head_room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        let tail_cap = self.cap - self.cap / 2;
        if rest.len() >= tail_cap {
            self.tail.clear();
            self.tail.extend(&rest[rest.len() - tail_cap..]);
            return;
        }
        let over = (self.tail.len() + rest.len()).saturating_sub(tail_cap);
        self.tail.drain(..over);
        self.tail.extend(rest);
    }

    /// Bytes seen but not kept.
    pub fn dropped(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    /// The text kept, with a line saying how much was left out where it was.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        let dropped = self.dropped();
        if dropped > 0 {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("[… {dropped} bytes of output left out …]\n"));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        out.push_str(&String::from_utf8_lossy(&tail));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_head_and_tail_and_counts_the_middle() {
        let mut c = Captured::new(10);
        c.push(b"abc");
        assert_eq!(c.text(), "abc");
        for chunk in [&b"defgh"[..], b"ijklmnop", b"qrstuvwxyz"] {
            c.push(chunk);
        }
        assert_eq!(c.total, 26);
        assert_eq!(c.dropped(), 16);
        assert_eq!(c.text(), "abcde\n[… 16 bytes of output left out …]\nvwxyz");
        let mut one = Captured::new(10);
        one.push(b"abcdefghijklmnopqrstuvwxyz");
        assert_eq!(one.text(), c.text(), "one write or many: the same");
    }
}
