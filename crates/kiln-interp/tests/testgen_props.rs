//! Properties of the random program generator: every program verifies and the oracle evaluates
//! it without error (and returns one array per output with the recorded dtype and shape).

use kiln_interp::run_program;
use kiln_interp::testgen::{GenConfig, arb_program, arb_realized};
use kiln_ir::{DType, Shape};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn generated_programs_verify_and_evaluate(p in arb_program(GenConfig::default())) {
        prop_assert!(p.verify().is_ok(), "{p}");
        let outs = run_program(&p);
        prop_assert!(outs.is_ok(), "{p}\n{:?}", outs.err());
        let outs = outs.unwrap_or_default();
        prop_assert_eq!(outs.len(), p.outputs.len());
        for (o, r) in p.outputs.iter().zip(&outs) {
            prop_assert_eq!(r.dtype(), p.node(*o).dtype);
            prop_assert_eq!(r.shape(), &p.node(*o).shape);
            prop_assert!(r.view.is_contiguous());
        }
    }

    #[test]
    fn realized_views_fit_and_read_back(
        r in prop_oneof![
            arb_realized(DType::I32, Shape::from([3, 0, 2])),
            arb_realized(DType::I32, Shape::from([2, 3, 4])),
        ]
    ) {
        prop_assert!(r.view.fits(r.storage.len()));
        prop_assert_eq!(r.scalars().len(), r.shape().numel());
    }
}
