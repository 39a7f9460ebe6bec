//! A counting global allocator for the policy benchmark, to measure the memory a compiled
//! principal retains and the allocations per decision. Counting is off unless a measurement
//! is running (one relaxed load per allocation otherwise), so the timed benchmarks of the
//! allocation-heavy engines do not pay for it.
#![allow(unsafe_code)] // a `GlobalAlloc` impl is unsafe by definition; it only forwards to `System`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

pub(crate) struct Counting;

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

fn on_alloc(size: usize) {
    if ON.load(Relaxed) {
        ALLOCATED.fetch_add(size, Relaxed);
        CALLS.fetch_add(1, Relaxed);
    }
}

fn on_free(size: usize) {
    if ON.load(Relaxed) {
        FREED.fetch_add(size, Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            on_alloc(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            on_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        on_free(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            on_free(layout.size());
            on_alloc(new_size);
        }
        p
    }
}

/// What a closure allocated.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    /// Bytes requested in total (including what was freed again).
    pub(crate) allocated: usize,
    /// Bytes still live afterwards (requested minus freed; may be negative in theory).
    pub(crate) retained: isize,
    /// Allocation calls (a `realloc` counts as one).
    pub(crate) calls: usize,
}

/// Runs `f` with counting on. Not reentrant; the benchmark calls it from one thread while
/// nothing else runs. Block sizes are the requested sizes, not the allocator's size classes.
pub(crate) fn measure<T>(f: impl FnOnce() -> T) -> (T, Usage) {
    let (a0, f0, c0) = (
        ALLOCATED.load(Relaxed),
        FREED.load(Relaxed),
        CALLS.load(Relaxed),
    );
    ON.store(true, Relaxed);
    let out = f();
    ON.store(false, Relaxed);
    let (a1, f1, c1) = (
        ALLOCATED.load(Relaxed),
        FREED.load(Relaxed),
        CALLS.load(Relaxed),
    );
    let usage = Usage {
        allocated: a1 - a0,
        retained: (a1 - a0) as isize - (f1 - f0) as isize,
        calls: c1 - c0,
    };
    (out, usage)
}
