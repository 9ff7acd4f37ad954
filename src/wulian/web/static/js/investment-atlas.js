// The 招商图谱's technology roadmap, drawn with the vendored ECharts from the JSON block the
// server wrote into the page (investment/_roadmap.html): one bar per technology over the years
// it is expected to matter, coloured by maturity, with a line at this year. Without this script
// the table shows; with it the chart shows and a 图/表 toggle brings the table back. No inline
// styles in markup and no eval, so the page's content security policy holds.
(() => {
  "use strict";

  const FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function option(data) {
    const rows = data.rows.slice().reverse(); // the first technology at the top
    const first = Math.min(...rows.map((r) => r.start), data.today) - 1;
    const last = Math.max(...rows.map((r) => r.end), data.today) + 1;
    const colours = Object.fromEntries(data.maturities); // in the order of maturity
    const maturities = data.maturities
      .map(([name]) => name)
      .filter((m) => rows.some((r) => r.maturity === m));
    const series = maturities.map((maturity) => ({
      name: maturity,
      type: "custom",
      color: colours[maturity],
      renderItem: (params, api) => {
        const start = api.coord([api.value(0), api.value(2)]);
        const end = api.coord([api.value(1) + 1, api.value(2)]);
        const height = api.size([0, 1])[1] * 0.56;
        return {
          type: "rect",
          shape: { x: start[0], y: start[1] - height / 2, width: end[0] - start[0], height },
          style: { fill: colours[maturity] },
        };
      },
      encode: { x: [0, 1], y: 2 },
      data: rows
        .map((r, i) => ({ value: [r.start, r.end, i], row: r }))
        .filter((d) => d.row.maturity === maturity),
      tooltip: {
        formatter: (p) => {
          const r = p.data.row;
          const generation = r.generation ? `，${r.generation}` : "";
          return `${r.node} · ${r.name}\n${r.maturity}${generation}，${r.start}—${r.end} 年`;
        },
      },
    }));
    series.push({
      name: "今年",
      type: "line",
      data: [],
      markLine: {
        symbol: "none",
        silent: true,
        label: { formatter: `${data.today} 年`, position: "end" },
        lineStyle: { color: "#c8102e", type: "dashed" },
        data: [{ xAxis: data.today + 0.5 }],
      },
    });
    return {
      legend: { top: 0, left: "center", data: maturities },
      grid: { left: 16, right: 40, top: 40, bottom: 8, containLabel: true },
      tooltip: { renderMode: "richText", confine: true },
      xAxis: {
        type: "value",
        min: first,
        max: last + 1,
        interval: 1,
        name: "年份",
        axisLabel: { formatter: (v) => (v <= last ? String(v) : "") },
      },
      yAxis: {
        type: "category",
        data: rows.map((r) => r.label),
        axisLabel: { fontSize: 12 },
      },
      series,
    };
  }

  function draw(figure) {
    const block = document.getElementById(figure.dataset.roadmap);
    const area = figure.querySelector(".chart-area");
    const table = figure.querySelector(".chart-table");
    if (!block || !area || !table || typeof window.echarts === "undefined") return;
    const data = JSON.parse(block.textContent);
    if (!data.rows.length) return;
    area.hidden = false;
    table.hidden = true;
    area.style.height = `${data.rows.length * 30 + 80}px`;
    const chart = window.echarts.init(area, null, { renderer: "canvas", locale: "ZH" });
    chart.setOption({
      animation: false,
      aria: { enabled: true, label: { description: data.title } },
      textStyle: { fontFamily: FONT },
      ...option(data),
    });
    window.addEventListener("resize", () => chart.resize());

    const toggle = document.createElement("div");
    toggle.className = "chart-toggle";
    toggle.setAttribute("role", "group");
    toggle.setAttribute("aria-label", `${data.title}：图或表`);
    const buttons = [
      ["图", false],
      ["表", true],
    ].map(([label, showTable]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button small";
      button.textContent = label;
      button.setAttribute("aria-pressed", String(!showTable));
      button.addEventListener("click", () => {
        table.hidden = !showTable;
        area.hidden = showTable;
        buttons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
        if (!showTable) chart.resize();
      });
      return button;
    });
    toggle.append(...buttons);
    (figure.querySelector("figcaption") || figure).append(toggle);
    figure.classList.add("chart-drawn");
  }

  // The plan form prefilled with one target's 以商招商 suggestion: choosing another target
  // loads that target's own suggestion (or none) instead of keeping the first one's.
  function followTarget() {
    const select = document.getElementById("plan-target");
    const hint = document.getElementById("plan-suggested");
    if (!select || !hint) return;
    select.addEventListener("change", () => {
      const url = new URL(window.location.href);
      url.searchParams.set("target", select.value);
      url.hash = "new-plan";
      window.location.assign(url.toString());
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("figure[data-roadmap]").forEach(draw);
    followTarget();
  });
})();
