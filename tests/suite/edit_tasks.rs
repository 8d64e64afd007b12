//! The edit tasks that `cargo bench --bench edit_success` runs against a real model
//! (benches/edit_tasks/): they all parse, and no task's check passes on its untouched
//! fixture, so a run can only count as correct when the model changed something.

#[path = "../../benches/support/edit_tasks.rs"]
mod tasks;

#[test]
fn every_edit_task_parses_and_its_check_fails_on_the_untouched_fixture() {
    let all = tasks::load_all(&tasks::tasks_dir()).expect("the edit tasks parse");
    assert!(all.len() >= 12, "only {} edit tasks", all.len());
    let long = all.iter().filter(|t| t.longest_file_lines() > 60).count();
    assert!(long >= 3, "only {long} tasks have a file over 60 lines");
    for t in &all {
        let dir = tempfile::tempdir().expect("tempdir");
        tasks::copy_fixture(t, dir.path()).expect("copy the fixture");
        let failures = t.failures(dir.path());
        assert!(
            !failures.is_empty(),
            "{}: the check passes without any edit",
            t.id
        );
    }
}

#[test]
fn a_task_check_passes_once_the_file_is_edited_as_asked() {
    // The check itself works: the first task, edited by hand, passes.
    let dir = tasks::tasks_dir().join("01-py-timeout");
    let t = tasks::load(&dir).expect("task 01 parses");
    let ws = tempfile::tempdir().expect("tempdir");
    tasks::copy_fixture(&t, ws.path()).expect("copy the fixture");
    let path = ws.path().join("app/settings.py");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, text.replace("= 30", "= 60")).expect("write");
    assert_eq!(t.failures(ws.path()), Vec::<String>::new());
}
