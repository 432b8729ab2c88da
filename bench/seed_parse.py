"""
The seed's parse_products.py steps, as its README lists them, in pandas: a reference to time
against on the same raw file and the same machine (bench/parse-bench.ts runs both).

  python3 bench/seed_parse.py --min-modified-date 2000-01-01 \
      --input-file-path raw.parquet --output-file-path out.parquet

1. JSON parsing of the data column into product columns
2. article explosion (a list, or an object keyed "1", "2", ...)
3. article_ prefix on article fields
4. date filter on article_datemodification (day first; unparseable dates kept)
5. types: article_taux_tva (and article_prix) float; article_image, article_iad, article_typeproduit Int64
6. nested values (dicts, lists) as JSON strings; other values of text columns as text (pyarrow
   refuses a column mixing numbers and strings, which the sandbox's catalog sends on purpose)
7. "None", "nan", "NaN" as null; exact duplicate rows dropped
"""
import argparse
import json

import pandas as pd


def as_article_list(value):
    if isinstance(value, dict):
        return [value[key] for key in sorted(value, key=lambda k: int(k) if str(k).isdigit() else 0)]
    return value if isinstance(value, list) else [value]


def to_text(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if value is None or isinstance(value, str) or (isinstance(value, float) and value != value):
        return value
    return str(value)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-modified-date", required=True)
    parser.add_argument("--input-file-path", required=True)
    parser.add_argument("--output-file-path", required=True)
    args = parser.parse_args()

    raw = pd.read_parquet(args.input_file_path)
    products = pd.DataFrame([json.loads(text) for text in raw["data"]])
    products["article"] = products["article"].apply(as_article_list)
    exploded = products.explode("article", ignore_index=True)
    articles = pd.DataFrame([a if isinstance(a, dict) else {} for a in exploded["article"]]).add_prefix("article_")
    df = pd.concat([exploded.drop(columns=["article"]), articles], axis=1)

    modified = pd.to_datetime(df["article_datemodification"], dayfirst=True, errors="coerce", format="%d/%m/%Y")
    df = df[modified.isna() | (modified >= pd.Timestamp(args.min_modified_date))].copy()

    for column in ["article_taux_tva", "article_prix"]:
        df[column] = pd.to_numeric(df[column], errors="coerce").astype(float)
    for column in ["article_image", "article_iad", "article_typeproduit"]:
        if column in df:
            df[column] = pd.to_numeric(df[column], errors="coerce").astype("Int64")
    for column in df.columns[df.dtypes == object]:
        df[column] = df[column].apply(to_text)
    df = df.replace({"None": None, "nan": None, "NaN": None})
    df = df.drop_duplicates().reset_index(drop=True)
    df.to_parquet(args.output_file_path)
    print(f"{len(products)} products -> {len(df)} rows")


if __name__ == "__main__":
    main()
