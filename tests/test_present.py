"""Formatting of printed numbers: what a reader sees."""
from briefing import present


def test_negative_numbers_print_a_true_minus_sign():
    # The C14 verdict printed NVIDIA's close as "-16.97%" with a hyphen-minus (second fact-check, item 18).
    assert present.percent(-0.1697, 2) == "−16.97%"
    assert present.number(-1234.5, 1) == "−1,234.5"
    assert present.usd(-5.5, 1) == "−$5.5"
    assert present.times(-2.0) == "−2.0×"
    assert present.billions(-1.5e9) == "−1.5"


def test_positive_numbers_are_unchanged():
    assert present.percent(0.224) == "22.4%"
    assert present.usd(5576000) == "$5,576,000.00"
    assert present.number(0.0) == "0"


def test_a_missing_value_in_a_formatted_column_prints_as_an_empty_cell_never_na():
    """The KV-cache table of the MLA chapter printed "<NA>" for DeepSeek-V2's unknown context: pandas passes
    neither a formatter nor na_rep to the missing values of an integer column."""
    import pandas as pd

    frame = pd.DataFrame({"Model": ["V3", "V2"], "Context": [163840, None]}, dtype=object)
    html = present.table(frame, Context=lambda v: present.number(v))._repr_html_()
    assert "NA" not in html and "nan" not in html
    assert "<td>163,840</td>" in html and "<td></td>" in html
