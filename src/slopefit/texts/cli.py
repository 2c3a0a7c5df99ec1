"""The terminal's words: the headings, table headers, notes and warnings the commands print, and the
errors a user meets most, in Korean and English. Read through :func:`slopefit.texts.text`, as the
lesson's are. Numbers come in already formatted (a field is text unless its format says otherwise);
Python's parameter names (``lr=``, ``epochs=``) stay as they are, followed by a space or a mark, so that
:func:`slopefit.errors.cli_words` can turn them into the command line's flags in both languages.
"""

from __future__ import annotations

CLI_TEXT: dict[str, dict[str, str]] = {
    # counted nouns (slopefit.texts.count): "1 row", "2 rows"; "1행", "2행"
    "count.row.one": {"ko": "{n}행", "en": "{n} row"},
    "count.row.many": {"ko": "{n}행", "en": "{n} rows"},
    "count.feature.one": {"ko": "특성 {n}개", "en": "{n} feature"},
    "count.feature.many": {"ko": "특성 {n}개", "en": "{n} features"},
    "count.share.one": {"ko": "조각 {n}개", "en": "{n} share"},
    "count.share.many": {"ko": "조각 {n}개", "en": "{n} shares"},
    "count.process.one": {"ko": "프로세스 {n}개", "en": "{n} process"},
    "count.process.many": {"ko": "프로세스 {n}개", "en": "{n} processes"},
    "count.pass.one": {"ko": "{n}번", "en": "{n} pass"},
    "count.pass.many": {"ko": "{n}번", "en": "{n} passes"},
    # general
    "note": {"ko": "참고: {note}", "en": "note: {note}"},
    "warning": {"ko": "경고: {warning}", "en": "warning: {warning}"},
    "error": {"ko": "slopefit: {error}", "en": "slopefit: {error}"},
    "saved.model": {"ko": "모델을 저장했습니다: {path}", "en": "model saved to {path}"},
    "saved.results": {"ko": "결과를 저장했습니다: {path}", "en": "results saved to {path}"},
    "saved.figure": {"ko": "그림을 저장했습니다: {path}", "en": "figure saved to {path}"},
    "saved.report": {"ko": "보고서를 저장했습니다: {path}", "en": "report saved to {path}"},
    "saved.records": {"ko": "기록을 저장했습니다: {path}", "en": "records saved to {path}"},
    # argparse's errors, said again (slopefit.cli._Parser): {prog} is "slopefit fit"
    "usage.invalid_choice": {"ko": "{prog}: {arg}에 {value}은(는) 쓸 수 없습니다 ({choices} 중 하나를 고르세요; "
                                   "{prog} --help 참고)",
                             "en": "{prog}: argument {arg}: invalid choice: {value} (choose from {choices}) "
                                   "(see {prog} --help)"},
    "usage.invalid_value": {"ko": "{prog}: {arg}에 준 {value}은(는) {kind}가 아닙니다 ({prog} --help 참고)",
                            "en": "{prog}: argument {arg}: invalid {kind} value: {value} (see {prog} --help)"},
    "usage.not_whole": {"ko": "{prog}: {arg}에 준 {value}은(는) 정수가 아닙니다 ({prog} --help 참고)",
                        "en": "{prog}: argument {arg}: {value} is not a whole number (see {prog} --help)"},
    "usage.not_counting": {"ko": "{prog}: {arg}에는 1 이상의 정수를 주세요, 받은 값 {value} ({prog} --help 참고)",
                           "en": "{prog}: argument {arg}: {value} must be a whole number >= 1 (see {prog} --help)"},
    "usage.not_number": {"ko": "{prog}: {arg}에 준 {value}은(는) 수가 아닙니다 ({prog} --help 참고)",
                         "en": "{prog}: argument {arg}: {value} is not a number (see {prog} --help)"},
    "usage.kind.float": {"ko": "수", "en": "float"},
    "usage.kind.int": {"ko": "정수", "en": "int"},
    "usage.required": {"ko": "{prog}: 꼭 주어야 하는 인수가 빠졌습니다: {args} ({prog} --help 참고)",
                       "en": "{prog}: the following arguments are required: {args} (see {prog} --help)"},
    "usage.unrecognized": {"ko": "{prog}: 알 수 없는 인수입니다: {args} ({prog} --help 참고)",
                           "en": "{prog}: unrecognized arguments: {args} (see {prog} --help)"},
    "usage.expected_one": {"ko": "{prog}: {arg} 뒤에 값 하나를 주세요 ({prog} --help 참고)",
                           "en": "{prog}: argument {arg}: expected one argument (see {prog} --help)"},
    "usage.expected_some": {"ko": "{prog}: {arg} 뒤에 값을 하나 이상 주세요 ({prog} --help 참고)",
                            "en": "{prog}: argument {arg}: expected at least one argument (see {prog} --help)"},
    "usage.not_with": {"ko": "{prog}: {arg}은(는) {other}와(과) 함께 쓸 수 없습니다 ({prog} --help 참고)",
                       "en": "{prog}: argument {arg}: not allowed with argument {other} (see {prog} --help)"},
    "usage.ambiguous": {"ko": "{prog}: {option}은(는) 여러 옵션일 수 있습니다: {matches} ({prog} --help 참고)",
                        "en": "{prog}: ambiguous option: {option} could match {matches} (see {prog} --help)"},
    "interrupted": {"ko": "slopefit: 중단됨; 아무것도 저장하지 않았습니다", "en": "slopefit: interrupted; nothing was saved"},
    "terminated": {"ko": "slopefit: SIGTERM으로 멈춤; 아무것도 저장하지 않았습니다",
                   "en": "slopefit: stopped by SIGTERM; nothing was saved"},
    # slopefit fit: the lines above the table
    "fit.title": {"ko": "slopefit fit: {name} ({rows}행, {features} -> {target})",
                  "en": "slopefit fit: {name} ({rows} rows, {features} -> {target})"},
    "fit.settings": {"ko": "설정: {run}, scale={scaling}, {batch}, {epochs}, {dtype}, {device}의 {engine} 엔진",
                     "en": "settings: {run}, scale={scaling}, {batch}, {epochs}, {dtype}, {engine} engine on {device}"},
    "fit.batch.full": {"ko": "전체 배치", "en": "full batch"},
    "fit.batch.size": {"ko": "배치 크기 {size}", "en": "batch size {size}"},
    "fit.epochs.budget": {"ko": "최대 {epochs} epoch", "en": "budget {epochs} epochs"},
    "fit.epochs.fixed": {"ko": "{epochs}회 epoch", "en": "{epochs} epochs"},
    "fit.passes.one": {"ko": "{passes}번 읽음 (통계량)", "en": "{passes} pass (the statistics)"},
    "fit.passes.many": {"ko": "{passes}번 읽음 (통계량, 그리고 정확한 최적해를 다듬는 잔차)",
                        "en": "{passes} passes (the statistics, then the residuals that refine the exact optimum)"},
    "fit.read.arrow": {"ko": "pyarrow 열로 통째로 읽음: {rows:,}행을 메모리에 둠, {over}; 더 큰 파일은 나누어 읽습니다",
                       "en": "read whole into pyarrow's columns: {rows:,} rows held in memory, {over}; "
                             "a larger file is read in chunks instead"},
    "fit.read.chunks": {"ko": "{chunk:,}행씩 나누어 읽음: {rows:,}행, {over}, 메모리에 두지 않음",
                        "en": "read in chunks of {chunk:,} rows: {rows:,} rows, {over}, not held in memory"},
    "fit.read.whole": {"ko": "통째로 읽음: {rows:,}행을 메모리에 둠, {over}",
                       "en": "read whole: {rows:,} rows held in memory, {over}"},
    "fit.penalty": {"ko": "벌점: {penalty} (scikit-learn의 {estimator}); 경사하강법이 최소화하는 것은 "
                          "{objective}, N = {over}, 절편은 벌점 없음",
                    "en": "penalty: {penalty} (scikit-learn's {estimator}); gradient descent minimises {objective}, "
                          "N = {over}, the intercept unpenalised"},
    "fit.penalty.rows": {"ko": "행 수", "en": "rows"},
    "fit.penalty.weights": {"ko": "가중치의 합", "en": "the sum of the weights"},
    "fit.weights": {"ko": "가중치: 열 {name!r} (가중 최소제곱; 특성이 아님)",
                    "en": "weights: column {name!r} (weighted least squares; not a feature)"},
    "fit.chosen": {"ko": "자동 선택: {reason} (직접 정하려면 --lr)",
                   "en": "chosen: {reason} (give --lr to set the step yourself)"},
    "fit.chosen.ko": {"ko": "자동 선택: 데이터의 곡률(헤세 행렬의 고윳값)에서 고른 {run}; 수렴하면 멈춤 "
                            "(직접 정하려면 --lr)",
                      "en": "chosen: {run} from the curvature of the data (the Hessian's eigenvalues); stops once "
                            "converged (give --lr to set the step yourself)"},
    # slopefit fit: the table and the lines under it
    "fit.intercept": {"ko": "절편", "en": "intercept"},
    "fit.gd": {"ko": "경사하강법", "en": "gradient descent"},
    "fit.reldiff": {"ko": "상대 차이", "en": "relative difference"},
    "fit.stop.tol": {"ko": "허용 오차 도달", "en": "tolerance reached"},
    "fit.stop.gap": {"ko": "최적값의 --stop-gap {gap} 이내", "en": "within --stop-gap {gap} of the optimum"},
    "fit.stop.converged": {"ko": "모든 계수가 최적값의 {rtol} 이내", "en": "every coefficient within {rtol} of the optimum"},
    "fit.stop.budget": {"ko": "수렴하기 전에 최대 epoch를 다 씀", "en": "budget spent before converging"},
    "fit.stop.epochs": {"ko": "모든 epoch 실행", "en": "all epochs run"},
    "fit.initial": {"ko": "초기 손실        {loss}", "en": "initial loss   {loss}"},
    "fit.final": {"ko": "최종 손실        {loss}", "en": "final loss     {loss}"},
    "fit.gap": {"ko": "손실 - 최솟값    {gap}   (상대 차이 {rel})", "en": "loss - loss*   {gap}   (relative gap {rel})"},
    "fit.distance": {"ko": "|θ - θ*|         {dist}   (계수와 절편, 원래 단위)",
                     "en": "|theta - theta*| {dist}   (coefficients and intercept, original units)"},
    "fit.scaled": {"ko": "척도 공간        W = {w}, B = {b}   (옵티마이저가 본 값, scale={scaling})",
                   "en": "scaled space   W = {w}, B = {b}   (what the optimizer saw, scale={scaling})"},
    "fit.r2": {"ko": "R^2              {r2}", "en": "R^2            {r2}"},
    "fit.epochs": {"ko": "epoch 수         {epochs} ({why})", "en": "epochs         {epochs} ({why})"},
    "fit.time": {"ko": "시간             {total} s = 데이터 읽기 {stats} s + 정확한 풀이 {exact} s + 경사하강법 {gd} s",
                 "en": "time           {total} s = data pass {stats} s + exact solve {exact} s + gradient descent {gd} s"},
    "fit.not_converged": {"ko": "참고: 정확한 최적값에 수렴하지 못함 (상대 차이 > {gap}); {advice}",
                          "en": "note: not converged to the exact optimum (relative gap > {gap}); {advice}"},
    "fit.shares": {"ko": "{processes}가 {shares}으로 나누어 읽음: {rows:,}행, 조각마다 {passes}; "
                         "프로세스 0이 읽은 것: {share}",
                   "en": "read in {shares} by {processes}: {rows:,} rows, {passes} over each share; "
                         "process 0 read {share}"},
    "fit.resumed": {"ko": "체크포인트에서 이어서 학습함: {path}", "en": "resumed from {path}"},
    "fit.stopped": {"ko": "slopefit fit: {how} (epoch {epoch}); 아무것도 저장하지 않았습니다",
                    "en": "slopefit fit: {how} at epoch {epoch}; nothing was saved"},
    "fit.stopped.heldout": {"ko": "slopefit fit: {how} (검증 점수 계산 중); 아무것도 저장하지 않았습니다",
                            "en": "slopefit fit: {how} while scoring held-out rows; nothing was saved"},
    "how.interrupted": {"ko": "중단됨", "en": "interrupted"},
    "how.terminated": {"ko": "SIGTERM으로 멈춤", "en": "stopped by SIGTERM"},
    # the exact column and the loss row (FitResult.exact_label, loss_label)
    "label.exact.plain": {"ko": "정확한 해 (최소제곱)", "en": "exact (least squares)"},
    "label.exact.weighted": {"ko": "정확한 해 (가중 최소제곱)", "en": "exact (weighted least squares)"},
    "label.exact.decay.plain": {"ko": "정확한 해 (최소제곱 + weight_decay={decay})",
                                "en": "exact (least squares + weight_decay={decay})"},
    "label.exact.decay.weighted": {"ko": "정확한 해 (가중 최소제곱 + weight_decay={decay})",
                                   "en": "exact (weighted least squares + weight_decay={decay})"},
    "label.exact.penalty.plain": {"ko": "정확한 해 ({name} 최적해)", "en": "exact ({name} optimum)"},
    "label.exact.penalty.weighted": {"ko": "정확한 해 (가중 {name} 최적해)", "en": "exact (weighted {name} optimum)"},
    "label.mse": {"ko": "MSE", "en": "MSE"},
    "label.mse.weighted": {"ko": "가중 MSE", "en": "weighted MSE"},
    "label.loss": {"ko": "손실 ({mse})", "en": "loss ({mse})"},
    "label.objective": {"ko": "목적함수 ({objective})", "en": "objective ({objective})"},
    "label.objective.decay": {"ko": "목적함수 ({mse} + 척도 단위의 {decay}/2·‖θ‖²)",
                              "en": "objective ({mse} + {decay}/2·‖θ‖² in scaled units)"},
    "note.penalised": {"ko": "벌점이 있는 적합({penalty})에는 표준오차, t, p, 신뢰구간이 없습니다: 벌점이 계수를 "
                             "치우치게 해서 OLS 공식이 성립하지 않습니다; 최소제곱 추론이 필요하면 벌점 없이 다시 맞추세요",
                       "en": "no standard errors, t, p or confidence intervals for a penalised fit ({penalty}): "
                             "the penalty biases the coefficients and the OLS formulas do not hold for them; refit "
                             "without the penalty for least-squares inference"},
    # the OLS block (solve.inference.Summary.render)
    "ols.head": {"ko": "최소제곱 통계 (정확한 최적해에서의 {kind}, {n}행, 잔차 자유도 {dof}{cov}):",
                 "en": "least-squares statistics ({kind} at the exact optimum, {n} rows, {dof} residual dof{cov}):"},
    "ols.cov": {"ko": ", 공분산 {cov} (이분산에 강건)", "en": ", covariance {cov} (heteroskedasticity-robust)"},
    "ols.coef": {"ko": "계수", "en": "coef"},
    "ols.se": {"ko": "표준오차", "en": "std err"},
    "ols.fit": {"ko": "R^2 {r2}   수정 R^2 {adj}   잔차 표준오차 {sigma} (자유도 {dof})",
                "en": "R^2 {r2}   adj. R^2 {adj}   residual std error {sigma} on {dof} dof"},
    "ols.f": {"ko": "F 통계량 {f} (자유도 {model}, {dof}), p-값 {p}",
              "en": "F-statistic {f} on {model} and {dof} dof, p-value {p}"},
    "ols.f.robust": {"ko": "강건 Wald F {f} (자유도 {model}, {dof}), p-값 {p}",
                     "en": "robust Wald F {f} on {model} and {dof} dof, p-value {p}"},
    "ols.no_dof": {"ko": "잔차 자유도가 없습니다 ({n}행, 파라미터 {params}개): 구간을 구하려면 파라미터보다 행이 많아야 합니다",
                   "en": "no residual degrees of freedom ({n} rows, {params} parameters): intervals need more rows "
                         "than parameters"},
    "ols.constant": {"ko": "목표값이 상수입니다: 이를 지나는 직선이 모든 행에 정확히 맞으므로 표준오차는 모두 0이고 "
                           "R²와 F는 0/0, 정의되지 않습니다 (nan)",
                     "en": "the target is constant: the line through it fits every row exactly, so every standard "
                           "error is 0 and R² and F are 0/0, undefined (nan)"},
    "ols.collinear": {"ko": "공선성에 가까운 설계: 분산 팽창 계수가 {threshold}보다 큰 특성 {factors}; 이들의 표준오차는 "
                            "부풀려지고 계수는 불안정합니다",
                      "en": "nearly collinear design: variance inflation factor above {threshold} for {factors}; "
                            "their standard errors are inflated and their coefficients unstable"},
    # held-out scores (views.tables.heldout_table)
    "cv.title.kfold": {"ko": "검증 점수: {folds}겹 교차검증 (seed {seed})",
                       "en": "held-out scores: {folds}-fold cross-validation (seed {seed})"},
    "cv.title.split": {"ko": "검증 점수: 학습/시험 분할 한 번 (seed {seed})",
                       "en": "held-out scores: one train/test split (seed {seed})"},
    "cv.fold": {"ko": "겹", "en": "fold"},
    "cv.rows": {"ko": "검증 행 수", "en": "held-out rows"},
    "cv.mean": {"ko": "평균 ± 표준편차", "en": "mean ± sd"},
    "cv.note": {"ko": "위의 직선은 모든 행으로 맞춘 것이고, 각 겹의 직선은 그 겹이 빼 둔 행을 뺀 나머지로 맞춘 것입니다",
                "en": "the line above is fitted on all rows; each fold's on the rows it did not hold out"},
    # how a file was read (cli.arguments.reading_notes)
    "read.dialect": {"ko": "{name} 읽음: {dialect}", "en": "read {name}: {dialect}"},
    "read.dropped": {"ko": "빈 칸이 있는 {rows}을 뺐습니다 ({before} -> {kept}행)",
                     "en": "dropped {rows} with empty cells ({before} -> {kept} rows)"},
    # what slopefit fit says when writing its files stops
    "write.stopped": {"ko": "slopefit fit: 결과를 쓰는 중 {how}; 쓴 것: {written}; 쓰지 못한 것: {left}",
                      "en": "slopefit fit: {how} while writing the results; written: {written}; not written: {left}"},
    "write.nothing": {"ko": "없음", "en": "nothing"},
    # slopefit predict
    "predict.confidence": {"ko": "{level} 신뢰구간 (평균)", "en": "{level} confidence (mean)"},
    "predict.prediction": {"ko": "{level} 예측구간 (새 값)", "en": "{level} prediction (new value)"},
    "predict.range": {"ko": "범위", "en": "range"},
    "predict.extrapolation": {"ko": "외삽", "en": "extrapolation"},
    "predict.unconverged": {"ko": "참고: {model}은(는) 최적에 닿기 전에 멈춘 학습에서 저장되었습니다 (상대 격차 {gap}). "
                                  "예측은 경사 하강법의 직선으로 하며 최소제곱 직선과 다릅니다: 에포크를 늘리거나 "
                                  "--lr을 조정해 다시 학습하세요",
                            "en": "note: {model} was saved from a run that stopped before the optimum (relative gap "
                                  "{gap}); these predictions are its gradient-descent line's, not least squares': "
                                  "refit with more --epochs or another --lr"},
    "predict.outside": {"ko": "참고: {rows}이 {name}의 학습 범위({low} ~ {high}) 밖에 있습니다: 외삽이며, 직선은 맞춘 "
                              "범위 안에서만 알 수 있습니다",
                        "en": "note: {rows} outside the training range of {name} ({low} to {high}): extrapolation, "
                              "the line is only known where it was fitted"},
    # slopefit compare and sweep
    "status.converged": {"ko": "수렴", "en": "converged"},
    "status.not_converged": {"ko": "수렴하지 못함", "en": "not converged"},
    "status.diverged.why": {"ko": "발산 ({why})", "en": "diverged ({why})"},
    "status.diverged.at": {"ko": "epoch {epoch}에서 발산", "en": "diverged at epoch {epoch}"},
    "compare.stable": {"ko": "lr < {bound}에서 안정", "en": "stable for lr < {bound}"},
    "compare.no_bound": {"ko": "{optimizer}: 닫힌 형태의 한계 없음", "en": "{optimizer}: no closed-form bound"},
    "compare.budget": {"ko": "lr을 준 실행은 {epochs} epoch, 나머지는 수렴할 때까지",
                       "en": "{epochs} epochs for runs given an lr, until converged for the others"},
    "compare.title": {"ko": "slopefit compare: {name} ({rows}), scale={scaling}, {budget}, 모든 실행이 같은 시작점(0)에서",
                      "en": "slopefit compare: {name} ({rows}), scale={scaling}, {budget}, same start (zeros) for "
                            "every run"},
    "compare.penalty": {"ko": "벌점: {penalty} (scikit-learn의 {estimator}): 아래 손실은 모두 목적함수 {objective}, "
                              "최솟값은 그 정확한 최적값",
                        "en": "penalty: {penalty} (scikit-learn's {estimator}): every loss below is the objective "
                              "{objective}, loss* its exact optimum"},
    "compare.run": {"ko": "실행", "en": "run"},
    "compare.final": {"ko": "최종 손실", "en": "final loss"},
    "compare.gap": {"ko": "손실 - 최솟값", "en": "loss - loss*"},
    "compare.rel": {"ko": "상대 차이", "en": "relative gap"},
    "compare.epochs": {"ko": "epoch 수", "en": "epochs"},
    "compare.seconds": {"ko": "초", "en": "seconds"},
    "compare.status": {"ko": "상태", "en": "status"},
    "sweep.interrupted": {"ko": "slopefit sweep: 중단됨; 아무것도 저장하지 않았습니다",
                          "en": "slopefit sweep: interrupted; nothing was saved"},
    "sweep.vectorised": {"ko": "한 번의 벡터화된 실행", "en": "one vectorised run"},
    "sweep.penalty": {"ko": "한 번에 하나씩 (벌점이 있는 실행은 fit과 같은 단계를 밟음)",
                      "en": "one run at a time (a penalty's runs take fit's steps)"},
    "sweep.one_by_one": {"ko": "한 번에 하나씩 (이 옵티마이저는 벡터화하지 않음)",
                         "en": "one run at a time (not vectorised for this optimizer)"},
    "sweep.title": {"ko": "slopefit sweep: {name}, {optimizer}, 실행 {runs}개 x {epochs} epoch, {seconds} s ({how}); "
                          "scale={scaling}, {dtype}",
                    "en": "slopefit sweep: {name}, {optimizer}, {runs} runs x {epochs} epochs in {seconds} s ({how}); "
                          "scale={scaling}, {dtype}"},
    "sweep.bound": {"ko": "전체 배치 sgd의 안정한 lr: < {bound} (2/λmax); momentum m이면: < 2(1+m)/λmax",
                    "en": "stable lr for full-batch sgd: < {bound} (2/λmax); with momentum m: < 2(1+m)/λmax"},
    "sweep.epochs_to": {"ko": "{gap}까지 epoch", "en": "epochs to {gap}"},
    "sweep.best": {"ko": "가장 좋은 실행: {run} (상대 차이 {rel})", "en": "best: {run} (relative gap {rel})"},
    "sweep.best.reached": {"ko": "가장 좋은 실행: {run} (상대 차이 {rel}, epoch {epoch}에서 {gap} 도달)",
                           "en": "best: {run} (relative gap {rel}, reached {gap} at epoch {epoch})"},
    # slopefit datasets
    "datasets.name": {"ko": "이름", "en": "name"},
    "datasets.rows": {"ko": "행 수", "en": "rows"},
    "datasets.columns": {"ko": "열", "en": "columns"},
    "datasets.description": {"ko": "설명", "en": "description"},
    "datasets.also": {"ko": "그 밖에: synthetic[:n=ROWS,d=FEATURES,noise=SD,seed=INT,offset=X], 또는 CSV/Parquet 파일의 경로.",
                      "en": "Also: synthetic[:n=ROWS,d=FEATURES,noise=SD,seed=INT,offset=X], or a path to a "
                            "CSV/Parquet file."},
    # slopefit advise
    "advise.title": {"ko": "slopefit advise: {name} ({rows}, {features}), scale={scaling}",
                     "en": "slopefit advise: {name} ({rows}, {features}), scale={scaling}"},
    "advise.penalty": {"ko": "벌점: {penalty}; 목적함수는 {objective}, 아래는 그 매끄러운 부분의 헤세 행렬 (ridge 항은 "
                             "대각선에 2·l2/s²를 더하고, L1 항은 곡률을 더하지 않음)",
                       "en": "penalty: {penalty}; the objective is {objective}, its smooth part's Hessian below (a ridge "
                             "part adds 2·l2/s² to the diagonal; an L1 part adds no curvature)"},
    "advise.weights": {"ko": "가중치: 열 {name!r} (가중 MSE, N = 가중치의 합)",
                       "en": "weights: column {name!r} (weighted MSE, N = sum of the weights)"},
    "advise.hessian": {"ko": "MSE의 헤세 행렬 (2/N)·AᵀA, A = [X, 1], 척도 단위: 고윳값 {values}",
                       "en": "Hessian of the MSE, (2/N)·AᵀA with A = [X, 1], in scaled units: eigenvalues {values}"},
    "advise.ends": {"ko": " (가장 작은 셋과 가장 큰 셋)", "en": " (smallest and largest three)"},
    "advise.condition": {"ko": "조건수 λmax/λmin:  ", "en": "condition number λmax/λmin:  "},
    "advise.sgd": {"ko": "전체 배치 sgd", "en": "full-batch sgd"},
    "advise.momentum": {"ko": "sgd, momentum {beta}", "en": "sgd, momentum {beta}"},
    "advise.fastest": {"ko": "가장 빠른 평범한 sgd", "en": "fastest plain sgd"},
    "advise.heavy": {"ko": "가장 빠른 heavy ball", "en": "fastest heavy ball"},
    "advise.rate": {"ko": "epoch마다 오차 × {rate}", "en": "error × {rate} per epoch"},
    "advise.stability": {"ko": "안정성과 속도", "en": "stability and speed"},
    "advise.lr": {"ko": "학습률", "en": "learning rate"},
    "advise.why": {"ko": "근거", "en": "why"},
    "advise.not_reached": {"ko": "{epochs} epoch 안에 도달하지 못함 (차이 {gap})",
                           "en": "not reached in {epochs} epochs (gap {gap})"},
    "advise.never": {"ko": "도달하지 못함 (불안정)", "en": "never (unstable)"},
    "advise.measured": {"ko": "{run}에서 상대 차이 {tol}까지의 epoch: 수렴 속도로 예측 {predicted}, 실제 {measured}",
                        "en": "at {run}: epochs to a relative gap of {tol}, predicted from the rate {predicted}, "
                              "measured {measured}"},
    # slopefit step
    "step.title": {"ko": "slopefit step: {name}, scale={scaling}, 시작 W = B = {init}, lr={lr}, {dtype}",
                   "en": "slopefit step: {name}, scale={scaling}, start W = B = {init}, lr={lr}, {dtype}"},
    "step.heading": {"ko": "-- {k}번째 단계 --", "en": "-- step {k} --"},
    "step.loss": {"ko": "손실 (loss)", "en": "loss"},
    "step.formula": {"ko": "공식", "en": "formula"},
    "step.difference": {"ko": "차이", "en": "difference"},
    "step.update": {"ko": "수정: 새 값 = 이전 값 - lr·경사", "en": "update: new = old - lr·grad"},
    # slopefit bench
    "bench.title": {"ko": "slopefit bench: {n}행 x float32 특성 {d}개, 목표: float64 최적값까지의 상대 차이 <= {gap}; "
                          "{device}의 {dtype}",
                    "en": "slopefit bench: {n} rows x {d} float32 features, target: relative gap <= {gap} to the "
                          "float64 optimum; {dtype} on {device}"},
    "bench.record": {"ko": "차이 {gap}  epoch {epochs}", "en": "gap {gap}  epochs {epochs}"},
    "bench.method": {"ko": "방법", "en": "method"},
    "bench.yes": {"ko": "예", "en": "yes"},
    "bench.no": {"ko": "아니오", "en": "no"},
    # slopefit serve
    "serve.open": {"ko": "slopefit serve: 경고: --host {host}이면 네트워크의 다른 컴퓨터도 이 놀이터(와 이 컴퓨터의 CPU)를 "
                         "쓸 수 있습니다; 모든 요청은 아래 주소의 토큰을 지녀야 합니다; 이 컴퓨터에서만 쓰려면 --host를 빼세요",
                   "en": "slopefit serve: warning: --host {host} lets other machines on the network use this "
                         "playground (and this computer's CPU); every request must carry the token in the address "
                         "printed below; leave --host out to keep it to this machine"},
    "serve.ready": {"ko": "slopefit serve: 놀이터 주소는 {url} 입니다 (Ctrl-C로 멈춤)",
                    "en": "slopefit serve: the playground is at {url} (Ctrl-C stops it)"},
    "serve.stopped": {"ko": "slopefit serve: 멈췄습니다", "en": "slopefit serve: stopped"},
    # what a run is advised (train.messages): Python's parameter names, which the CLI turns into flags
    "advice.bound": {"ko": "lr < {bound} ({rule}, {hessian}의 λmax={lam})",
                     "en": "lr < {bound} ({rule}, λmax={lam} of {hessian})"},
    "advice.decay": {"ko": "weight_decay={decay} 는 계수를 0 쪽으로 당겨서, 최적해가 최소제곱 해가 아닌 벌점 손실을 "
                           "최소화합니다; 최소제곱 직선을 원하면 weight_decay=0 으로 두세요",
                     "en": "weight_decay={decay} pulls the coefficients toward 0, so the run minimises a penalised "
                           "loss whose optimum is not least squares; set weight_decay=0 for the least-squares line"},
    "advice.decay.adamw": {"ko": "weight_decay={decay} (adamw의 기본값)는 계수를 0 쪽으로 당겨서, 최적해가 최소제곱 해가 "
                                 "아닌 벌점 손실을 최소화합니다; 최소제곱 직선을 원하면 weight_decay=0 으로 두세요",
                           "en": "weight_decay={decay} (adamw's default) pulls the coefficients toward 0, so the run "
                                 "minimises a penalised loss whose optimum is not least squares; set weight_decay=0 "
                                 "for the least-squares line"},
    "advice.diverged.past": {"ko": "이 데이터에서 전체 배치 {optimizer}는 {bound}일 때만 안정합니다; lr= 를 낮추거나, "
                                   "lr= 를 빼서 데이터에서 고르게 하세요",
                             "en": "full-batch {optimizer} on this data is stable only for {bound}; lower lr=, or "
                                   "lr=None to have it chosen from the data"},
    "advice.diverged.batch": {"ko": "lr은 전체 배치 한계 {bound} 안에 있지만, {batch}행씩의 미니배치는 더 요란한 걸음을 "
                                    "만듭니다; lr= 를 낮추거나 batch_size= 를 키우세요",
                              "en": "lr is inside the full-batch bound, {bound}, but minibatches of {batch} rows make "
                                    "noisier steps; lower lr= or raise batch_size="},
    "advice.diverged.values": {"ko": "lr은 전체 배치 한계 {bound} 안에 있으므로, 데이터의 값이 원인일 가능성이 큽니다; "
                                     "dtype=\"float64\" 를 쓰세요",
                               "en": "lr is inside the full-batch bound, {bound}, so the data's values are the likely "
                                     "cause; use dtype=\"float64\""},
    "advice.diverged.no_bound": {"ko": "{optimizer}에는 닫힌 형태의 안정 한계가 없습니다; 학습률을 낮추세요 (lr={lr} 시도)",
                                 "en": "{optimizer} has no closed-form stable bound; lower the learning rate "
                                       "(try lr={lr})"},
    "advice.diverged.scale": {"ko": ", 또는 데이터의 척도를 맞추세요 (scaling=\"standardize\")",
                              "en": ", or scale the data (scaling=\"standardize\")"},
    "advice.past": {"ko": "lr={lr} 는 안정 한계를 넘었습니다: {bound}; lr= 를 낮추세요",
                    "en": "lr={lr} is past the stable bound: {bound}; lower lr="},
    "advice.batch": {"ko": "{batch}행씩의 미니배치는 걸음이 요란해서, 일정한 lr은 그 잡음이 정하는 거리에 머뭅니다: "
                           "더 작은 lr=, 더 큰 batch_size=, 또는 전체 배치 (batch_size= 없이)",
                     "en": "minibatches of {batch} rows give noisy steps, and a constant lr settles at a distance set "
                           "by that noise: a smaller lr=, a larger batch_size=, or full batch (batch_size=None)"},
    "advice.singular": {"ko": "scale={scaling} 에서는 열의 단위 때문에 헤세 행렬이 float64 반올림으로 특이해집니다; "
                              "scaling=\"standardize\" 를 쓰세요",
                        "en": "with scale={scaling} the columns' units leave the Hessian singular to float64 rounding; "
                              "use scaling=\"standardize\""},
    "advice.kappa": {"ko": "scale={scaling} 에서는 열의 단위 때문에 헤세 행렬의 조건수가 κ={kappa} 라서, heavy ball도 "
                           "오차를 e분의 1로 줄이는 데 약 √κ/2 = {epochs} epoch가 걸립니다; scaling=\"standardize\" 를 "
                           "쓰세요 (또는 epochs= 를 늘리세요)",
                     "en": "with scale={scaling} the columns' units leave the Hessian a condition number κ={kappa}, "
                           "so even the heavy ball needs about √κ/2 = {epochs} epochs per factor e; use "
                           "scaling=\"standardize\" (or raise epochs=)"},
    "advice.budget": {"ko": "최대 epoch를 먼저 다 썼습니다: epochs= 를 늘리세요",
                      "en": "the budget ran out first: raise epochs="},
    "advice.dampening": {"ko": "dampening=1 이면 sgd의 momentum 버퍼가 새 경사를 받아들이지 않습니다; dampening을 빼세요",
                         "en": "dampening=1 stops sgd's momentum buffer from taking in new gradients; leave "
                               "dampening out"},
    "advice.sgd": {"ko": "더 많은 epochs=, 더 큰 lr= ({bound} 안에서) 또는 momentum=0.9, 또는 lr= 를 빼서 lr과 "
                         "momentum을 데이터에서 고르게 하세요",
                   "en": "more epochs=, a larger lr= (inside {bound}) or momentum=0.9, or lr=None to have lr and "
                         "momentum chosen from the data"},
    "advice.sgd.momentum": {"ko": "더 많은 epochs=, 더 큰 lr= ({bound} 안에서), 또는 lr= 를 빼서 lr과 momentum을 "
                                  "데이터에서 고르게 하세요",
                            "en": "more epochs=, a larger lr= (inside {bound}), or lr=None to have lr and momentum "
                                  "chosen from the data"},
    "advice.other": {"ko": "더 많은 epochs= 또는 다른 lr= ({optimizer}에는 닫힌 형태의 한계가 없습니다; "
                           "'slopefit sweep'이 lr들을 비교합니다)",
                     "en": "more epochs= or another lr= ({optimizer} has no closed-form bound; 'slopefit sweep' "
                           "compares lrs)"},
    "warn.unstable": {"ko": "lr={lr} 는 이 데이터에서 전체 배치 {optimizer}의 안정 한계 {bound}를 넘었습니다; 발산할 "
                            "것입니다 (slopefit advise 참고)",
                      "en": "lr={lr} is past the stable bound of full-batch {optimizer} on this data, {bound}; expect "
                            "divergence (see slopefit advise)"},
    "warn.slow": {"ko": "scale={scaling} 에서는 헤세 행렬의 κ={kappa}: heavy ball도 최적값에 닿으려면 {epochs}가 "
                        "필요해서 최대 {budget} epoch를 넘습니다; scaling=\"standardize\" 를 쓰세요",
                  "en": "with scale={scaling} the Hessian has κ={kappa}: even the heavy ball needs {epochs} to reach "
                        "the optimum, beyond the budget of {budget}; use scaling=\"standardize\""},
    "warn.slow.epochs": {"ko": "약 {epochs} epoch", "en": "about {epochs} epochs"},
    "warn.slow.any": {"ko": "어떤 최대값보다도 많은 epoch", "en": "more epochs than any budget"},
    # errors (SlopefitError.key): Python's parameter names stay, the CLI turns them into flags
    "trend.nan": {"ko": "NaN이 됨", "en": "became NaN"},
    "trend.inf": {"ko": "무한대가 됨", "en": "became infinite"},
    "trend.exploded": {"ko": "{loss}까지 폭증함", "en": "exploded to {loss}"},
    "err.no_file": {"ko": "데이터 파일 {path!r}이(가) 없습니다; 경로를 확인하거나 내장 데이터 이름({builtins})을 주세요",
                    "en": "data file {path!r} does not exist; check the path or name a built-in dataset ({builtins})"},
    "err.no_column": {"ko": "열 {column!r}이(가) {label}에 없습니다; 있는 열: {columns}",
                      "en": "column {column!r} is not in {label}; available columns: {columns}"},
    "err.not_numeric": {"ko": "{label}의 열 {column!r}은(는) 숫자가 아닙니다: {rows}에 {example!r}; {fix}",
                        "en": "column {column!r} in {label} is not numeric: {example!r} in {rows}; {fix}"},
    "err.blank_lines": {"ko": "{label}의 행 사이에 빈 줄이 있습니다 ({where}): 예측은 한 줄에 하나씩이라 파일의 줄과 "
                              "맞지 않게 됩니다. 빈 줄을 지우거나 그 자리의 행으로 채우세요",
                        "en": "{label} has blank lines among its rows ({where}); predictions are made one per line, "
                              "so they would no longer line up with the file's lines: delete the blank lines, or "
                              "fill them with the rows they stand for"},
    "err.missing": {"ko": "{label}에 비었거나 NaN인 칸이 있습니다: {parts}; 채우거나 missing=\"drop\" 을 쓰세요",
                    "en": "{label} has empty or NaN cells: {parts}; fill them or use missing=\"drop\""},
    "err.lr": {"ko": "학습률은 양수여야 합니다, 받은 값 lr={lr}; lr=0.01 을 시도하거나, lr= 를 빼서 데이터에서 고르게 하세요",
               "en": "learning rate must be a positive number, got lr={lr}; try lr=0.01, or leave lr out to have it "
                     "chosen from the data"},
    "err.epochs": {"ko": "epoch 수는 1 이상의 정수여야 합니다, 받은 값 epochs={epochs}",
                   "en": "epochs must be a whole number >= 1, got epochs={epochs}"},
    "err.diverged": {"ko": "학습이 epoch {epoch}에서 발산했습니다: {run}에서 손실이 {trend}; {advice}",
                     "en": "training diverged at epoch {epoch}: the loss {trend} with {run}; {advice}"},
    "err.no_model": {"ko": "모델 파일 {path!r}이(가) 없습니다; save_model(model, \"MODEL.json\")으로 만드세요",
                     "en": "model file {path!r} does not exist; create one with save_model(model, \"MODEL.json\")"},
    "err.not_model": {"ko": "{label}은(는) slopefit 모델이 아닙니다 (\"format\": \"{format}\" 없음); "
                            "save_model(model, \"MODEL.json\")으로 만드세요",
                      "en": "{label} is not a slopefit model (no \"format\": \"{format}\"); create one with "
                            "save_model(model, \"MODEL.json\")"},
    "err.model_json": {"ko": "{label}은(는) slopefit 모델이 아닙니다: 올바른 JSON이 아님 ({why}); "
                             "save_model(model, \"MODEL.json\")으로 만드세요",
                       "en": "{label} is not a slopefit model: not valid JSON ({why}); create one with "
                             "save_model(model, \"MODEL.json\")"},
    "err.model_version": {"ko": "{label}의 모델 형식 버전은 {version}이지만 이 slopefit은 버전 {ours}를 읽습니다; 다시 "
                                "맞추고 저장하거나 (save_model), 그 파일을 쓴 slopefit 버전({writer})을 쓰세요",
                          "en": "{label} has model format version {version}, but this slopefit reads version {ours}; "
                                "refit and save it again (save_model), or use the slopefit version that wrote it "
                                "({writer})"},
    "err.model_damaged": {"ko": "{label}은(는) 손상된 slopefit 모델입니다: 필드 {field} {what}; 다시 맞추고 저장하세요",
                          "en": "{label} is a damaged slopefit model: field {field} {what}; refit and save it again"},
    "err.formula": {"ko": "수식 {formula!r}을(를) 읽을 수 없습니다: {why}; 'y ~ a + b + C(group)'처럼 쓰세요",
                    "en": "cannot read the formula {formula!r}: {why}; write it as 'y ~ a + b + C(group)'"},
    "err.formula_term": {"ko": "수식 {formula!r}을(를) 읽을 수 없습니다: 항 {term!r}이(가) 올바른 Python이 아닙니다; {fix}",
                         "en": "cannot read the formula {formula!r}: the term {term!r} is not valid Python; {fix}"},
    "err.formula_keyword": {"ko": "{word!r}은(는) Python 예약어입니다: 열을 `{word}` 또는 Q('{word}')로 감싸세요",
                            "en": "{word!r} is a Python keyword: quote the column as `{word}` or Q('{word}')"},
    "err.formula_plain": {"ko": "'y ~ a + b + C(group)'처럼 쓰세요", "en": "write it as 'y ~ a + b + C(group)'"},
    "err.formula_target": {"ko": "수식 {formula!r}에 목표가 없습니다: '~' 왼쪽에 목표를 쓰세요, 예: 'invest ~ value + capital'",
                           "en": "the formula {formula!r} has no target: write the target left of '~', e.g. "
                                 "'invest ~ value + capital'"},
    "err.formula_bar": {"ko": "수식 {formula!r}이(가) '|'로 나뉜 여러 부분을 가집니다; slopefit은 설계 하나를 맞춥니다: "
                              "항을 '+'로 이으세요, 예: 'y ~ a + b'",
                        "en": "the formula {formula!r} has several parts split by '|'; slopefit fits one design: write "
                              "the terms joined by '+', e.g. 'y ~ a + b'"},
    "err.formula_column": {"ko": "수식이 열 {column!r}을(를) 쓰지만 {label}에 없습니다; 있는 열: {columns}",
                           "en": "the formula names column {column!r}, which is not in {label}; available columns: "
                                 "{columns}"},
    "err.formula_build": {"ko": "수식 {formula!r}을(를) {label}에 적용할 수 없습니다: {why}",
                          "en": "cannot build the formula {formula!r} on {label}: {why}"},
    # notes on reading a file (Dataset.notes), printed before the table
    "read.row_names": {"ko": "{label}의 1열을 뺐습니다: 머리글이 없고 행마다 다른 이름이 있습니다 ({shown}: R의 행 이름)",
                       "en": "left out column 1 of {label}: no header and a distinct label in every row ({shown}: "
                             "R's row names)"},
    "read.row_names_headed": {"ko": "{label}의 1열을 뺐습니다: 머리글 {header!r}, 행마다 다른 이름 ({shown}: R의 행 이름)",
                              "en": "left out column 1 of {label}: header {header!r} and a distinct label in every "
                                    "row ({shown}: R's row names)"},
    "read.empty_column": {"ko": "{label}의 {column}열을 뺐습니다: 머리글도 칸도 비어 있습니다",
                          "en": "left out column {column} of {label}: no header and no cells"},
    "read.percent": {"ko": "열 {name!r}: 퍼센트 칸을 비율로 읽었습니다 ({shown})",
                     "en": "column {name!r}: percent cells read as fractions ({shown})"},
}
