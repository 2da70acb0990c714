"""Data: data sets, IDX files, drawings and pictures turned into model inputs. No Qt."""
