"""The README's main job, run small."""

import tfnpy.demo


def test_demo_trains_and_reports_both_throughputs(tmp_path, capsys):
    result = tfnpy.demo.main(
        ["--files", "64", "--shape", "8,8,1", "--classes", "4", "--passes", "1", "--seconds", "0.2",
         "--data-dir", str(tmp_path)]
    )
    out = capsys.readouterr().out
    assert result["files"] == 64 and result["shape"] == (8, 8, 1)
    assert result["native_elements_per_s"] > 0 and result["numpy_function_elements_per_s"] > 0
    assert result["native_batched_elements_per_s"] > 0
    assert "tfnpy.data.from_csv" in out and "tf.numpy_function(np.load)" in out
    assert (tmp_path / "paths.csv").exists() and len(list(tmp_path.glob("*.npy"))) == 64
