//! A bounded job queue with priorities.

use std::collections::VecDeque;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    Low,
    Normal,
    High,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    pub name: String,
    pub priority: Priority,
}

#[derive(Debug, PartialEq, Eq)]
pub enum QueueError {
    Full { capacity: usize },
    Duplicate(u64),
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueError::Full { capacity } => write!(f, "queue is full ({capacity} jobs)"),
            QueueError::Duplicate(id) => write!(f, "job {id} is already queued"),
        }
    }
}

impl std::error::Error for QueueError {}

pub struct JobQueue {
    capacity: usize,
    jobs: VecDeque<Job>,
}

impl JobQueue {
    pub fn new(capacity: usize) -> Self {
        JobQueue {
            capacity,
            jobs: VecDeque::with_capacity(capacity),
        }
    }

    pub fn push(&mut self, job: Job) -> Result<(), QueueError> {
        if self.jobs.len() >= self.capacity {
            return Err(QueueError::Full {
                capacity: self.capacity,
            });
        }
        if self.jobs.iter().any(|j| j.id == job.id) {
            return Err(QueueError::Duplicate(job.id));
        }
        // Keep the queue ordered: higher priority first, FIFO within a priority.
        let at = self
            .jobs
            .iter()
            .position(|j| j.priority < job.priority)
            .unwrap_or(self.jobs.len());
        self.jobs.insert(at, job);
        Ok(())
    }

    pub fn pop(&mut self) -> Option<Job> {
        self.jobs.pop_front()
    }

    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    pub fn cancel(&mut self, id: u64) -> Option<Job> {
        let i = self.jobs.iter().position(|j| j.id == id)?;
        self.jobs.remove(i)
    }

    pub fn names(&self) -> Vec<&str> {
        self.jobs.iter().map(|j| j.name.as_str()).collect()
    }
}
